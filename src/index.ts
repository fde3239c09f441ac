/**
 * rx-amqp: AMQP 1.0 as RxJS. This entry point is the public API; the protocol
 * layers underneath (codec, frames, engine, transports) are at `rx-amqp/internal`.
 */
export * from './errors/index.js';
export {
  Typed, Described, AmqpArray,
  ubyte, ushort, uint, ulong, byte, short, int, long, float, char, timestamp, uuid, symbol,
  decimal32, decimal64, decimal128, described, array, typeOf,
  type AmqpValue, type AmqpTypeName, type TypedName, type TypedValueOf, type ArrayElementType,
} from './codec/types.js';
export { encode, encodeSequence } from './codec/encode.js';
export { decode, decodeSequence } from './codec/decode.js';
export { equals } from './codec/equals.js';
export {
  type Message, type BodySection, type JmsMessageType, JMS_MSG_TYPE, jmsMessageType, withJmsMessageType,
  toWireMessage, fromWireMessage,
} from './rx/message.js';
