#!/usr/bin/python3
"""Apache Qpid Proton's side of test/interop/proton-codec.test.ts.

Run with Debian's /usr/bin/python3 (it has the `proton` module). One request
per process: a JSON object on stdin, a JSON object on stdout.

  {"op": "encode"}
      -> {"values": {name: hex}, "messages": {name: hex}}
      Proton encodes a fixed catalogue of values (with the low-level Data API,
      so every AMQP type is chosen explicitly) and of whole messages.

  {"op": "decode", "values": {name: hex}, "messages": {name: hex}}
      -> {"values": {name: description}, "messages": {name: description}}
      Proton decodes bytes that rx-amqp encoded. A value is described as JSON
      in the shape of `rx-amqp decode --json` (type names as the standard spells
      them, 64-bit integers as decimal strings, binary and decimals as hex).
      A failure to decode is reported as {"error": "..."} for that name.
"""

import json
import math
import sys
import uuid

from cproton import (pn_message_annotations, pn_message_body,
                     pn_message_get_content_encoding,
                     pn_message_get_content_type, pn_message_instructions,
                     pn_message_properties)
from proton import Data, Message, symbol, ulong

UUID_A = uuid.UUID('123e4567-e89b-12d3-a456-426614174000')
UUID_B = uuid.UUID('00112233-4455-6677-8899-aabbccddeeff')

# --------------------------------------------------------------------------
# Values Proton encodes. Each builder puts exactly one value into a Data.


def scalar(method, value):
    return lambda d: getattr(d, method)(value)


def list_of(*builders):
    def build(d):
        d.put_list()
        d.enter()
        for b in builders:
            b(d)
        d.exit()
    return build


def map_of(*pairs):
    def build(d):
        d.put_map()
        d.enter()
        for k, v in pairs:
            k(d)
            v(d)
        d.exit()
    return build


def array_of(element_type, builders, descriptor=None):
    def build(d):
        d.put_array(descriptor is not None, element_type)
        d.enter()
        if descriptor is not None:
            descriptor(d)
        for b in builders:
            b(d)
        d.exit()
    return build


def described(descriptor, value):
    def build(d):
        d.put_described()
        d.enter()
        descriptor(d)
        value(d)
        d.exit()
    return build


VALUES = {
    'null': lambda d: d.put_null(),
    'true': scalar('put_bool', True),
    'false': scalar('put_bool', False),
    'ubyte-0': scalar('put_ubyte', 0),
    'ubyte-max': scalar('put_ubyte', 255),
    'ushort-0': scalar('put_ushort', 0),
    'ushort-max': scalar('put_ushort', 65535),
    'uint-0': scalar('put_uint', 0),
    'uint-small': scalar('put_uint', 200),
    'uint-max': scalar('put_uint', 4294967295),
    'ulong-0': scalar('put_ulong', 0),
    'ulong-small': scalar('put_ulong', 0x70),
    'ulong-max': scalar('put_ulong', 18446744073709551615),
    'byte-min': scalar('put_byte', -128),
    'byte-max': scalar('put_byte', 127),
    'short-min': scalar('put_short', -32768),
    'short-max': scalar('put_short', 32767),
    'int-min': scalar('put_int', -2147483648),
    'int-small': scalar('put_int', -5),
    'int-max': scalar('put_int', 2147483647),
    'long-min': scalar('put_long', -9223372036854775808),
    'long-small': scalar('put_long', -7),
    'long-max': scalar('put_long', 9223372036854775807),
    'float': scalar('put_float', 1.5),
    'float-negative': scalar('put_float', -0.15625),
    'double': scalar('put_double', 3.141592653589793),
    'double-huge': scalar('put_double', -1.5e300),
    'double-infinity': scalar('put_double', float('inf')),
    'decimal32': scalar('put_decimal32', 0x30000001),
    'decimal64': scalar('put_decimal64', 0x3100000000000002),
    'decimal128': scalar('put_decimal128', bytes(range(1, 17))),
    'char-ascii': scalar('put_char', 'a'),
    'char-astral': scalar('put_char', '\U0001F600'),
    'timestamp': scalar('put_timestamp', 1700000000123),
    'timestamp-before-epoch': scalar('put_timestamp', -86400000),
    'uuid': scalar('put_uuid', UUID_A),
    'binary-empty': scalar('put_binary', b''),
    'binary': scalar('put_binary', b'\x00\x01\xfe\xff'),
    'binary-300': scalar('put_binary', bytes(i % 256 for i in range(300))),
    'string-empty': scalar('put_string', ''),
    'string-unicode': scalar('put_string', 'h\u00e9llo w\u00f6rld \u2603 \U0001F600'),
    'string-300': scalar('put_string', 'x' * 300),
    'symbol': scalar('put_symbol', 'amqp:accepted:list'),
    'symbol-300': scalar('put_symbol', 's' * 300),
    'list-empty': list_of(),
    'list-mixed': list_of(scalar('put_uint', 5), scalar('put_symbol', 'x'), lambda d: d.put_null(),
                          scalar('put_bool', True), scalar('put_string', 'str')),
    'list-nested': list_of(list_of(scalar('put_int', 1), list_of()), map_of()),
    'list-large': list_of(*[scalar('put_long', 1 << 40)] * 40),
    'map-empty': map_of(),
    'map-non-string-keys': map_of(
        (scalar('put_symbol', 'sym'), scalar('put_string', 'a')),
        (scalar('put_ulong', 42), scalar('put_int', -1)),
        (scalar('put_int', 7), scalar('put_bool', False)),
        (scalar('put_string', 'str'), lambda d: d.put_null()),
        (scalar('put_uuid', UUID_B), scalar('put_binary', b'\x01')),
        (lambda d: d.put_null(), scalar('put_double', 0.5)),
        (list_of(scalar('put_ubyte', 1)), scalar('put_symbol', 'list-key')),
    ),
    'array-int': array_of(Data.INT, [scalar('put_int', v) for v in (1, -2, 300, 2147483647)]),
    'array-symbol': array_of(Data.SYMBOL, [scalar('put_symbol', s) for s in ('queue', 'topic', 'amqp:modified:list')]),
    'array-ulong': array_of(Data.ULONG, [scalar('put_ulong', v) for v in (0, 1, 18446744073709551615)]),
    'array-string': array_of(Data.STRING, [scalar('put_string', s) for s in ('', 'one', '\u00e9')]),
    'array-boolean': array_of(Data.BOOL, [scalar('put_bool', b) for b in (True, False, True)]),
    'array-double': array_of(Data.DOUBLE, [scalar('put_double', v) for v in (0.5, -2.25)]),
    'array-uuid': array_of(Data.UUID, [scalar('put_uuid', UUID_A), scalar('put_uuid', UUID_B)]),
    'array-binary': array_of(Data.BINARY, [scalar('put_binary', b'ab'), scalar('put_binary', b'')]),
    'array-timestamp': array_of(Data.TIMESTAMP, [scalar('put_timestamp', 0), scalar('put_timestamp', 1700000000123)]),
    'array-empty': array_of(Data.INT, []),
    'array-list': array_of(Data.LIST, [list_of(scalar('put_uint', 1)), list_of()]),
    'array-map': array_of(Data.MAP, [map_of((scalar('put_symbol', 'k'), scalar('put_int', 1))), map_of()]),
    'array-nested': array_of(Data.ARRAY, [
        array_of(Data.INT, [scalar('put_int', 1), scalar('put_int', 2)]),
        array_of(Data.INT, [scalar('put_int', 3)]),
    ]),
    'array-described-ulong': array_of(Data.LIST, [
        list_of(scalar('put_bool', True)),
        list_of(scalar('put_bool', False), scalar('put_ubyte', 9)),
    ], descriptor=scalar('put_ulong', 0x70)),
    'array-described-symbol': array_of(Data.STRING, [scalar('put_string', 'a'), scalar('put_string', 'b')],
                                       descriptor=scalar('put_symbol', 'com.example:tag')),
    'described-ulong': described(scalar('put_ulong', 0x70), list_of(scalar('put_bool', True), scalar('put_ubyte', 9))),
    'described-symbol': described(scalar('put_symbol', 'com.example:thing'), scalar('put_string', 'value')),
    'described-nested': described(scalar('put_ulong', 0x77),
                                  described(scalar('put_symbol', 'inner'), map_of((scalar('put_symbol', 'k'), scalar('put_uint', 1))))),
    'described-large-ulong-descriptor': described(scalar('put_ulong', 0x0000468C00000001), lambda d: d.put_null()),
}


def encode_value(build):
    d = Data()
    build(d)
    return d.encode().hex()


# --------------------------------------------------------------------------
# Messages Proton encodes.


def footer_bytes():
    """Proton 0.37's Message has no footer; encode the section with Data and append it."""
    return encode_value(described(scalar('put_ulong', 0x78), map_of(
        (scalar('put_symbol', 'x-opt-checksum'), scalar('put_string', 'abc')),
        (scalar('put_ulong', 99), scalar('put_uint', 1)),
    )))


def message_full():
    m = Message()
    m.inferred = False
    m.durable = True
    m.priority = 7
    m.ttl = 5.0
    m.first_acquirer = True
    m.delivery_count = 3
    m.instructions = {symbol('x-opt-delivery'): 'da', ulong(42): -1}
    m.annotations = {symbol('x-opt-partition-key'): 'pk', symbol('x-opt-sequence'): ulong(7)}
    m.id = ulong(12345)
    m.user_id = b'user'
    m.address = '/queue/a'
    m.subject = 'subject'
    m.reply_to = '/queue/replies'
    m.correlation_id = UUID_A
    m.content_type = 'application/json'
    m.content_encoding = 'utf-8'
    m.expiry_time = 1700000123.456
    m.creation_time = 1700000000.123
    m.group_id = 'group'
    m.group_sequence = 7
    m.reply_to_group_id = 'reply-group'
    m.properties = {'str': 'v', 'long': 6, 'bool': True, 'null': None, 'sym': symbol('s'), 'double': 2.5}
    m.body = {symbol('key'): 'value', 'n': 1}
    return m.encode().hex() + footer_bytes()


def message_data():
    m = Message(body=b'\x00\x01binary body', inferred=True, id='string-id', correlation_id=b'\x01\x02')
    return m.encode().hex()


def message_sequence():
    m = Message(body=[1, 'two', symbol('three')], inferred=True, id=UUID_B, correlation_id=ulong(9))
    return m.encode().hex()


MESSAGES = {
    'full': message_full,
    'data-body': message_data,
    'sequence-body': message_sequence,
}

# --------------------------------------------------------------------------
# Describing what Proton decoded.

TYPE_NAMES = {
    Data.NULL: 'null', Data.BOOL: 'boolean', Data.UBYTE: 'ubyte', Data.BYTE: 'byte', Data.USHORT: 'ushort',
    Data.SHORT: 'short', Data.UINT: 'uint', Data.INT: 'int', Data.CHAR: 'char', Data.ULONG: 'ulong',
    Data.LONG: 'long', Data.TIMESTAMP: 'timestamp', Data.FLOAT: 'float', Data.DOUBLE: 'double',
    Data.DECIMAL32: 'decimal32', Data.DECIMAL64: 'decimal64', Data.DECIMAL128: 'decimal128', Data.UUID: 'uuid',
    Data.BINARY: 'binary', Data.STRING: 'string', Data.SYMBOL: 'symbol', Data.DESCRIBED: 'described',
    Data.ARRAY: 'array', Data.LIST: 'list', Data.MAP: 'map',
}


def number(f):
    """JSON cannot hold NaN, infinities or the sign of zero: those become strings."""
    if math.isnan(f):
        return 'NaN'
    if math.isinf(f):
        return 'Infinity' if f > 0 else '-Infinity'
    if f == 0 and math.copysign(1.0, f) < 0:
        return '-0'
    return f


def children(d, count):
    out = []
    d.enter()
    for _ in range(count):
        d.next()
        out.append(describe(d))
    d.exit()
    return out


def describe(d):
    """Describes the Data's current node."""
    t = d.type()
    name = TYPE_NAMES[t]
    if t == Data.NULL:
        v = None
    elif t == Data.BOOL:
        v = d.get_bool()
    elif t in (Data.UBYTE, Data.BYTE, Data.USHORT, Data.SHORT, Data.UINT, Data.INT):
        v = int(getattr(d, 'get_' + name)())
    elif t == Data.ULONG:
        v = str(int(d.get_ulong()))
    elif t == Data.LONG:
        v = str(int(d.get_long()))
    elif t == Data.TIMESTAMP:
        v = int(d.get_timestamp())
    elif t == Data.FLOAT:
        v = number(float(d.get_float()))
    elif t == Data.DOUBLE:
        v = number(float(d.get_double()))
    elif t == Data.DECIMAL32:
        v = int(d.get_decimal32()).to_bytes(4, 'big').hex()
    elif t == Data.DECIMAL64:
        v = int(d.get_decimal64()).to_bytes(8, 'big').hex()
    elif t == Data.DECIMAL128:
        v = bytes(d.get_decimal128()).hex()
    elif t == Data.CHAR:
        v = str(d.get_char())
    elif t == Data.UUID:
        v = str(d.get_uuid())
    elif t == Data.BINARY:
        v = bytes(d.get_binary()).hex()
    elif t == Data.STRING:
        v = d.get_string()
    elif t == Data.SYMBOL:
        v = str(d.get_symbol())
    elif t == Data.LIST:
        v = children(d, d.get_list())
    elif t == Data.MAP:
        flat = children(d, d.get_map())
        v = [[flat[i], flat[i + 1]] for i in range(0, len(flat), 2)]
    elif t == Data.DESCRIBED:
        d.enter()
        d.next()
        descriptor = describe(d)
        d.next()
        value = describe(d)
        d.exit()
        return {'type': 'described', 'descriptor': descriptor, 'value': value}
    elif t == Data.ARRAY:
        count, is_described, element_type = d.get_array()
        d.enter()
        out = {'type': 'array', 'elementType': TYPE_NAMES[element_type]}
        if is_described:
            d.next()
            out['descriptor'] = describe(d)
        out['value'] = []
        for _ in range(count):
            d.next()
            out['value'].append(describe(d))
        d.exit()
        return out
    else:
        raise ValueError('unexpected type %r' % t)
    return {'type': name, 'value': v}


def decode_value(hex_bytes):
    raw = bytes.fromhex(hex_bytes)
    d = Data()
    consumed = d.decode(raw)
    if consumed != len(raw):
        raise ValueError('decoded %d of %d bytes' % (consumed, len(raw)))
    d.rewind()
    d.next()
    return describe(d)


def describe_data(pointer):
    """A section Proton keeps as Data (annotations, properties, body): its value, or None when absent."""
    d = Data(pointer)
    d.rewind()
    return describe(d) if d.next() else None


def typed_id(v):
    if v is None:
        return None
    if isinstance(v, int):  # Proton returns a ulong id as a plain int
        return {'type': 'ulong', 'value': str(v)}
    if isinstance(v, uuid.UUID):
        return {'type': 'uuid', 'value': str(v)}
    if isinstance(v, bytes):
        return {'type': 'binary', 'value': v.hex()}
    if isinstance(v, str):
        return {'type': 'string', 'value': v}
    raise ValueError('unexpected message id %r' % (v,))


def seconds_to_ms(s):
    return None if not s else int(round(s * 1000))


def describe_sections(raw):
    """Every section as Proton's codec reads it, one Data.decode after another
    (Message keeps only the last data section and drops the footer)."""
    sections = []
    while raw:
        d = Data()
        consumed = d.decode(raw)
        d.rewind()
        d.next()
        sections.append(describe(d))
        raw = raw[consumed:]
    return sections


def decode_message(hex_bytes):
    raw = bytes.fromhex(hex_bytes)
    m = Message()
    m.decode(raw)
    return {
        'sections': describe_sections(raw),
        'header': {
            'durable': m.durable, 'priority': m.priority, 'ttl': seconds_to_ms(m.ttl),
            'firstAcquirer': m.first_acquirer, 'deliveryCount': m.delivery_count,
        },
        'deliveryAnnotations': describe_data(pn_message_instructions(m._msg)),
        'messageAnnotations': describe_data(pn_message_annotations(m._msg)),
        'properties': {
            'messageId': typed_id(m.id), 'userId': m.user_id.hex() if m.user_id else None, 'to': m.address,
            'subject': m.subject, 'replyTo': m.reply_to, 'correlationId': typed_id(m.correlation_id),
            # Message.content_type turns an absent symbol into the string 'None'; ask the C API.
            'contentType': pn_message_get_content_type(m._msg),
            'contentEncoding': pn_message_get_content_encoding(m._msg),
            'absoluteExpiryTime': seconds_to_ms(m.expiry_time), 'creationTime': seconds_to_ms(m.creation_time),
            'groupId': m.group_id, 'groupSequence': m.group_sequence, 'replyToGroupId': m.reply_to_group_id,
        },
        'applicationProperties': describe_data(pn_message_properties(m._msg)),
        # inferred: a binary body came from a data section, a list from an amqp-sequence section.
        'inferred': m.inferred,
        'body': describe_data(pn_message_body(m._msg)),
    }


def guarded(f, arg):
    try:
        return f(arg)
    except Exception as e:  # reported per case, so one bad case does not hide the others
        return {'error': '%s: %s' % (type(e).__name__, e)}


def main():
    request = json.load(sys.stdin)
    if request['op'] == 'encode':
        result = {
            'values': {name: encode_value(build) for name, build in VALUES.items()},
            'messages': {name: build() for name, build in MESSAGES.items()},
        }
    elif request['op'] == 'decode':
        result = {
            'values': {name: guarded(decode_value, h) for name, h in request.get('values', {}).items()},
            'messages': {name: guarded(decode_message, h) for name, h in request.get('messages', {}).items()},
        }
    else:
        raise ValueError('unknown op %r' % request['op'])
    json.dump(result, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
