/**
 * rx-amqp for browsers (the package's `browser` export condition, and
 * `rx-amqp/browser`): the same public API as the Node entry point, on the
 * browser platform: AMQP over WebSocket (`ws://`, `wss://`) with the global
 * `WebSocket`, SASL on Web Crypto randomness, no connect.json. What needs
 * Node is absent: `listen()` (a page cannot accept connections; the
 * Container's listen() fails) and `startBroker()`. Nothing here imports
 * node:*, which test/package/browser-bundle.test.ts checks by bundling it.
 * The shared API is api.ts; test/package/browser-bundle.test.ts also checks
 * that this entry exports everything index.ts does except the Node-only parts.
 */
export * from './api.js';
export { BrowserContainer as Container, connect, getDefaultContainer, browserPlatform, browserConnect } from './browser/platform.js';
export { webSocketConnect, type WebSocketConstructor, type WebSocketLike } from './transport/websocket/index.js';
