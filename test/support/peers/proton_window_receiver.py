"""
A receiver on Qpid Proton's C engine (through its Python binding) with a
session incoming window of one frame: it listens on HOST:PORT, accepts every
link the peer attaches, and prints each message as "message LINK BODY".

    python3 proton_window_receiver.py HOST:PORT

A sender to it has to hold each transfer after the first until the window
opens again, which is where a sender can get its delivery-ids wrong; Proton C
ends the connection on a delivery-id out of sequence, and this prints that as
"transport-error CONDITION".
"""
import sys

from proton.handlers import MessagingHandler
from proton.reactor import Container

FRAME = 4096


class Receiver(MessagingHandler):
    def __init__(self, url):
        super().__init__()
        self.url = url

    def on_start(self, event):
        event.container.listen(self.url)

    def on_connection_init(self, event):
        event.transport.max_frame_size = FRAME

    def on_session_init(self, event):
        # The window in frames is the capacity in bytes over the frame size.
        event.session.incoming_capacity = FRAME

    def on_message(self, event):
        print("message", event.link.name, event.message.body, flush=True)

    def on_transport_error(self, event):
        print("transport-error", event.transport.condition, flush=True)


Container(Receiver(sys.argv[1])).run()
