"""
A transaction coordinator written with Qpid Proton's Python API, so that the
bytes our transaction() client sends are read by Proton's decoder and the
bytes Proton writes are read by ours:

    python3 proton_tx_coordinator.py HOST:PORT

- A link whose target is a coordinator is answered with a coordinator
  (amqp:local-transactions). Each declare is settled with declared [txn-id]
  (b'txn-1', b'txn-2', ...); each discharge is accepted (an unknown id is
  rejected with amqp:transaction:unknown-id).
- Any other link the peer sends on: each transfer is printed with the state
  Proton read from the transfer frame, then accepted in its transaction
  (transactional-state [txn-id, accepted]) when it names one.
- A link the peer receives on: sends two messages, and prints the state of
  each as the peer settles it.

Prints one line per event ("listening", "declare txn-1", "transfer ...",
"discharge txn-1 fail=False", "settled ..."), flushed at once.
"""
import sys

from proton import Delivery, Described, Message, Terminus, symbol, ulong
from proton.handlers import MessagingHandler
from proton.reactor import Container

# A descriptor is the symbolic name or the numeric code (Part 1 §1.5): accept either.
DECLARE = (symbol('amqp:declare:list'), 0x31)
DISCHARGE = (symbol('amqp:discharge:list'), 0x32)
TRANSACTIONAL_STATE = 0x34
DECLARED = 0x33


def say(*parts):
    print(*parts, flush=True)


def symbols(data):
    """The symbols in a terminus' capabilities: one symbol, or an array of them."""
    data.rewind()
    found = []
    while data.next():
        value = data.get_object()
        if isinstance(value, (list, tuple)):
            found.extend(str(v) for v in value)
        elif hasattr(value, 'elements'):
            found.extend(str(v) for v in value.elements)
        else:
            found.append(str(value))
    return found


def text(value):
    if isinstance(value, bytes):
        return value.decode('ascii', 'replace')
    return repr(value)


class Coordinator(MessagingHandler):
    def __init__(self, address):
        super(Coordinator, self).__init__(auto_accept=False, auto_settle=False)
        self.address = address
        self.open = set()
        self.count = 0

    def on_start(self, event):
        self.acceptor = event.container.listen(self.address)
        say('listening')

    def on_link_opening(self, event):
        link = event.link
        if link.is_receiver and link.remote_target.type == Terminus.COORDINATOR:
            link.target.type = Terminus.COORDINATOR
            link.target.capabilities.put_object(symbol('amqp:local-transactions'))
            say('coordinator attached', ' '.join(symbols(link.remote_target.capabilities)))
        elif link.is_receiver:
            link.target.address = link.remote_target.address
        else:
            link.source.address = link.remote_source.address

    def on_sendable(self, event):
        sender = event.sender
        while sender.credit > 0 and getattr(sender, 'sent', 0) < 2:
            sender.sent = getattr(sender, 'sent', 0) + 1
            sender.send(Message(body='to-consume-%d' % sender.sent))

    def on_message(self, event):
        delivery = event.delivery
        if event.link.target.type == Terminus.COORDINATOR:
            body = event.message.body
            if isinstance(body, Described) and body.descriptor in DECLARE:
                self.count += 1
                txn = ('txn-%d' % self.count).encode('ascii')
                self.open.add(txn)
                say('declare', text(txn))
                delivery.local.data = [txn]
                delivery.update(DECLARED)
            elif isinstance(body, Described) and body.descriptor in DISCHARGE:
                txn, fail = body.value[0], body.value[1] if len(body.value) > 1 else False
                if txn in self.open:
                    self.open.discard(txn)
                    say('discharge', text(txn), 'fail=%s' % fail)
                    delivery.update(Delivery.ACCEPTED)
                else:
                    say('discharge unknown', text(txn))
                    delivery.local.condition = None
                    delivery.update(Delivery.REJECTED)
            else:
                say('unexpected control', repr(body))
                delivery.update(Delivery.REJECTED)
            delivery.settle()
            return
        state = delivery.remote_state
        data = delivery.remote.data
        say('transfer', repr(event.message.body), 'state=0x%x' % int(state) if state else 'state=none',
            'txn=%s' % (text(data[0]) if data else None))
        if state == TRANSACTIONAL_STATE and data:
            delivery.local.data = [data[0], Described(ulong(0x24), [])]
            delivery.update(TRANSACTIONAL_STATE)
        else:
            delivery.update(Delivery.ACCEPTED)
        delivery.settle()

    def on_settled(self, event):
        delivery = event.delivery
        if event.link.is_sender:
            data = delivery.remote.data
            outcome = None
            if data and len(data) > 1 and isinstance(data[1], Described):
                outcome = '0x%x' % int(data[1].descriptor)
            say('settled', 'state=0x%x' % int(delivery.remote_state),
                'txn=%s' % (text(data[0]) if data else None), 'outcome=%s' % outcome)


Container(Coordinator(sys.argv[1])).run()
