"""
Runs one of Proton's Python examples unchanged:
    python3 proton_example.py EXAMPLE.py [ARGS...]

helloworld.py and queue_browser.py have the address "localhost:5672" written
into them (no -a option); Container.connect is wrapped so that address goes to
$PROTON_EXAMPLE_SERVER (e.g. 127.0.0.1:40001) instead. Every other address is
left alone.
"""
import os
import runpy
import sys

from proton.reactor import Container

SERVER = os.environ.get('PROTON_EXAMPLE_SERVER')
_connect = Container.connect


def connect(self, url=None, *args, **kwargs):
    if SERVER and url == 'localhost:5672':
        url = SERVER
    return _connect(self, url, *args, **kwargs)


Container.connect = connect
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
