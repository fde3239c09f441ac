#!/usr/bin/python3
"""
A small Qpid Proton (Python) broker for TLS and SASL interop tests: one FIFO
queue per address, like Proton's examples/python/broker.py, listening with
Proton's SSLDomain and SASL settings chosen on the command line.

Each connection's open carries the properties `authenticated-user` and
`sasl-mechanism` (what Proton's transport says after SASL), so the client can
see who the server thinks it is.

Prints `listening on PORT` once the listener is bound (port 0 picks a free one).

  --tls-cert PEM --tls-key PEM [--tls-password PW]   serve amqps (TLS)
  --client-ca PEM        require a client certificate signed by this CA (VERIFY_PEER)
  --mechs "A B"          SASL mechanisms the server allows (Proton's allowed_mechs)
  --require-auth         refuse ANONYMOUS (pn_transport_require_auth)
  --cyrus LIB            load test/support/peers/proton_cyrus_sasl.c's library:
                         Cyrus SASL (configured by PN_SASL_CONFIG_PATH) becomes
                         Proton's SASL implementation, as in a Cyrus-enabled Proton
"""
import argparse
import collections
import ctypes
import sys

from proton import SSLDomain, symbol
from proton.handlers import MessagingHandler
from proton.reactor import Container


class Broker(MessagingHandler):
    def __init__(self, args):
        super().__init__(auto_accept=True)
        self.args = args
        self.queues = collections.defaultdict(collections.deque)
        self.consumers = collections.defaultdict(list)

    def on_start(self, event):
        domain = None
        if self.args.tls_cert:
            domain = SSLDomain(SSLDomain.MODE_SERVER)
            domain.set_credentials(self.args.tls_cert, self.args.tls_key, self.args.tls_password)
            if self.args.client_ca:
                domain.set_trusted_ca_db(self.args.client_ca)
                domain.set_peer_authentication(SSLDomain.VERIFY_PEER, self.args.client_ca)
            else:
                domain.set_peer_authentication(SSLDomain.ANONYMOUS_PEER)
        acceptor = event.container.listen('%s:%d' % (self.args.host, self.args.port), domain)
        print('listening on %d' % acceptor._selectable.getsockname()[1], flush=True)

    def on_connection_bound(self, event):
        transport = event.transport
        if self.args.require_auth:
            transport.require_auth(True)
        sasl = transport.sasl()
        sasl.allow_insecure_mechs = True
        if self.args.mechs:
            sasl.allowed_mechs(self.args.mechs)

    def on_connection_opening(self, event):
        user = event.transport.user or ''
        mech = event.transport.sasl().mech or ''
        event.connection.properties = {symbol('authenticated-user'): user, symbol('sasl-mechanism'): mech}
        print('opened user=%s mech=%s' % (user, mech), flush=True)

    def on_transport_error(self, event):
        condition = event.transport.condition
        print('transport error: %s' % (condition and '%s: %s' % (condition.name, condition.description)), flush=True)

    def on_link_opening(self, event):
        link = event.link
        if link.is_sender:
            address = link.remote_source.address
            link.source.address = address
            self.consumers[address].append(link)
        else:
            link.target.address = link.remote_target.address

    def _unsubscribe(self, link):
        if link.is_sender and link.source.address in self.consumers:
            consumers = self.consumers[link.source.address]
            if link in consumers:
                consumers.remove(link)

    def on_link_closing(self, event):
        self._unsubscribe(event.link)

    def on_disconnected(self, event):
        for consumers in self.consumers.values():
            consumers[:] = [link for link in consumers if link.connection != event.connection]

    def on_sendable(self, event):
        self._dispatch(event.link.source.address)

    def on_message(self, event):
        address = event.link.target.address
        self.queues[address].append(event.message)
        self._dispatch(address)

    def _dispatch(self, address):
        queue = self.queues[address]
        for consumer in self.consumers[address]:
            while queue and consumer.credit > 0:
                consumer.send(queue.popleft())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--tls-cert')
    parser.add_argument('--tls-key')
    parser.add_argument('--tls-password')
    parser.add_argument('--client-ca')
    parser.add_argument('--mechs')
    parser.add_argument('--require-auth', action='store_true')
    parser.add_argument('--cyrus')
    args = parser.parse_args()
    if args.cyrus:
        lib = ctypes.CDLL(args.cyrus)
        lib.rx_cyrus_sasl_errstring.restype = ctypes.c_char_p
        rc = lib.rx_cyrus_sasl_install()
        if rc != 0:
            sys.exit('Cyrus SASL did not start: %s' % lib.rx_cyrus_sasl_errstring(rc).decode())
    Container(Broker(args)).run()


if __name__ == '__main__':
    main()
