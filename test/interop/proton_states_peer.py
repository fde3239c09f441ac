"""
A peer-to-peer receiver written with Qpid Proton's Python API, for a send's
non-terminal delivery states and message format (issue 18, item 5):

    PN_TRACE_FRM=1 python3 proton_states_peer.py HOST:PORT

It listens; every message sent to it is printed ("message BODY"). A message
whose body starts with "progress" is first answered with the non-terminal
state received (section-number 1, section-offset 5, set through Proton's
Disposition), and accepted 50 ms later in a disposition of its own. A
message whose body starts with "hold" is never settled on the first
attach of its link's name (so the sender has it in flight when that link
goes), and accepted on later ones (durable link recovery, item 6). Any other message is
accepted at once. Proton's frame trace (PN_TRACE_FRM=1, on stderr) shows
each frame as Proton decoded it: message-format, an attach's unsettled map.
"""
import sys

from proton import Delivery
from proton.handlers import MessagingHandler
from proton.reactor import Container


def say(*parts):
    print(*parts, flush=True)


class Later(object):
    def __init__(self, work):
        self.work = work

    def on_timer_task(self, event):
        self.work()


class Peer(MessagingHandler):
    def __init__(self, address):
        super(Peer, self).__init__(auto_accept=False)
        self.address = address
        self.attaches = {}

    def on_start(self, event):
        self.container = event.container
        event.container.listen(self.address)
        say('listening')

    def on_link_opening(self, event):
        self.attaches[event.link.name] = self.attaches.get(event.link.name, 0) + 1
        if event.link.is_receiver:
            event.link.target.address = event.link.remote_target.address

    def on_message(self, event):
        delivery = event.delivery
        body = event.message.body
        say('message', body)
        if isinstance(body, str) and body.startswith('progress'):
            delivery.local.section_number = 1
            delivery.local.section_offset = 5
            delivery.update(Delivery.RECEIVED)
            say('received', body)
            self.container.schedule(0.05, Later(lambda: self.accept(delivery)))
        elif isinstance(body, str) and body.startswith('hold') and self.attaches.get(event.link.name) == 1:
            say('held', body)
        else:
            self.accept(delivery)


Container(Peer(sys.argv[1])).run()
