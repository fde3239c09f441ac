/** The Node platform of the rx API: TCP/TLS dialing, connect.json, node:crypto SASL. May import node:*. */
export { nodePlatform, NodeContainer, connect, listen, getDefaultContainer } from './platform.js';
export { nodeSaslCrypto } from './sasl-crypto.js';
export { loadConnectFile, findConnectFile, connectFileCandidates, type ConnectFileLocations } from './connect-file.js';
