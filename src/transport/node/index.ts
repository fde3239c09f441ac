export { connectNode } from './connect-node.js';
export { listenNode } from './listen-node.js';
export { NodeChannel } from './node-channel.js';
export { connectWebSocketNode } from './connect-websocket-node.js';
export { listenWebSocketNode } from './listen-websocket-node.js';
