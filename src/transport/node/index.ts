export { connectNode } from './connect-node.js';
export { listenNode } from './listen-node.js';
export { NodeChannel } from './node-channel.js';
