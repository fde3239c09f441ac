"""
What test/interop/rx-reconnect.test.ts does before its kill -9, done with
Proton's own Python client (for test/interop/rabbitmq-crash-repro.ts):

    python3 rabbitmq_crash_client.py HOST:PORT ADDRESS COUNT USER PASSWORD

On one connection, a receiver with a durable source (prefetch 500) and a
sender with a durable target, both on ADDRESS (RabbitMQ's /queue/NAME declares
the queue, durable, on attach). Prints 'attached' once both attaches are
answered, waits for a line on stdin, then sends COUNT persistent messages and
prints 'progress ACCEPTED RECEIVED' after every 100 outcomes and deliveries.
Runs until it is killed.
"""
import sys
import threading

from proton import Message, Terminus
from proton.handlers import MessagingHandler
from proton.reactor import ApplicationEvent, Container, EventInjector, LinkOption

url, address, count, user, password = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]


class Durable(LinkOption):
    def apply(self, link):
        terminus = link.source if link.is_receiver else link.target
        terminus.durability = Terminus.DELIVERIES
        terminus.expiry_policy = Terminus.EXPIRE_NEVER


class CrashClient(MessagingHandler):
    def __init__(self, injector):
        super().__init__(prefetch=500)
        self.injector = injector
        self.opened = 0
        self.go = False
        self.sent = self.accepted = self.received = 0

    def on_start(self, event):
        event.container.selectable(self.injector)
        conn = event.container.connect(url, user=user, password=password, allowed_mechs='PLAIN', reconnect=False)
        event.container.create_receiver(conn, address, name='crash-receiver', options=Durable())
        self.sender = event.container.create_sender(conn, address, name='crash-sender', options=Durable())

    def on_link_opened(self, event):
        self.opened += 1
        if self.opened == 2:
            print('attached', flush=True)

    def on_go(self, event):
        self.go = True
        self.on_sendable(event)

    def on_sendable(self, event):
        while self.go and self.sender.credit and self.sent < count:
            self.sender.send(Message(body=self.sent, durable=True))
            self.sent += 1

    def report(self):
        if (self.accepted + self.received) % 100 == 0:
            print('progress %d %d' % (self.accepted, self.received), flush=True)

    def on_accepted(self, event):
        self.accepted += 1
        self.report()

    def on_message(self, event):
        self.received += 1
        self.report()


injector = EventInjector()


def wait_for_go():
    sys.stdin.readline()
    injector.trigger(ApplicationEvent('go'))


threading.Thread(target=wait_for_go, daemon=True).start()
Container(CrashClient(injector)).run()
