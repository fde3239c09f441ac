/**
 * rx-amqp: AMQP 1.0 as RxJS. This entry point (Node) is the public API, with
 * the Node platform (TCP/TLS/WebSocket, node:crypto, connect.json) wired in;
 * the protocol layers underneath (codec, frames, engine, transports) are at
 * `rx-amqp/internal`.
 */
export * from './api.js';
export { NodeContainer as Container, connect, listen, getDefaultContainer } from './node/platform.js';
export { startBroker, type StartBrokerOptions, type RunningBroker } from './node/broker.js';
