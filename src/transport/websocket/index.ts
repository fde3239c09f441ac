export { webSocketConnect, webSocketConnectWith, type WebSocketFactory } from './connect-websocket.js';
export { WebSocketChannel, MAX_COALESCED_MESSAGE, type WebSocketChannelDetails } from './websocket-channel.js';
export {
  AMQP_WEBSOCKET_PROTOCOL,
  webSocketUrl,
  type WebSocketConstructor,
  type WebSocketLike,
  type WebSocketEventLike,
  type WebSocketEventType,
} from './websocket-like.js';
