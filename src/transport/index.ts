export type {
  ByteChannel,
  CertificateData,
  Connect,
  ConnectionEvent,
  Endpoint,
  WebSocketEndpoint,
  Listen,
  TransportListenOptions,
  ListenerEvent,
  ListeningEvent,
  ServerTlsOptions,
  TlsOptions,
} from './transport.js';
export { formatAddress } from './transport.js';
export { TransportError, type TransportErrorOptions } from './transport-error.js';
export { ChannelInput, type ChannelInputHooks } from './channel-input.js';
export { memoryPair, MemoryChannel, type MemoryPairOptions } from './memory/memory-pair.js';
export { MemoryNetwork, type MemoryNetworkOptions } from './memory/memory-network.js';
export { EngineDriver, type EngineLike, type EngineDriverOptions } from './driver.js';
export {
  webSocketConnect,
  webSocketConnectWith,
  WebSocketChannel,
  AMQP_WEBSOCKET_PROTOCOL,
  MAX_COALESCED_MESSAGE,
  webSocketUrl,
  type WebSocketFactory,
  type WebSocketChannelDetails,
  type WebSocketConstructor,
  type WebSocketLike,
  type WebSocketEventLike,
  type WebSocketEventType,
} from './websocket/index.js';
