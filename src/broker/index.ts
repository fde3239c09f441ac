/** The embedded broker (browser-safe core): the store and its wiring to listen(). */
export { Broker, BROKER_CAPABILITIES, type BrokerOptions, type BrokerStats } from './broker.js';
export { BrokerFaults, type LinkSelector } from './faults.js';
export { compileSelector, SelectorError, type Selector } from './selector.js';
export { CBS_ADDRESS, DEFAULT_CBS_VERIFY_TIMEOUT_MS, audienceCovers, type BrokerCbsOptions, type CbsPutToken } from './cbs-node.js';
