/**
 * The layers under the public API, for the embedded broker, tools and power
 * users: the codec, the frame layer, the sans-IO engine and the transports.
 * Less stable than the root entry point.
 */
export * from './codec/index.js';
export * from './frames/index.js';
export * from './engine/index.js';
export * from './transport/index.js';
// Between the user's Message (rx-amqp's) and the wire message (frames'): for tools that encode messages themselves.
export { toWireMessage, fromWireMessage } from './rx/links/message.js';
