/** rx-amqp/broker: the embedded broker's parts (browser-safe): its store and wiring to listen(), limits, faults and the JMS selector compiler. `startBroker()`, which runs it on Node, is the root entry's. */
export { Broker, BROKER_CAPABILITIES, type BrokerOptions, type BrokerStats } from './broker.js';
export { BrokerFaults, type LinkSelector } from './faults.js';
export { compileSelector, SelectorError, type Selector } from './selector.js';
export { CBS_ADDRESS, DEFAULT_CBS_VERIFY_TIMEOUT_MS, audienceCovers, type BrokerCbsOptions, type CbsPutToken } from './cbs-node.js';
export { DEFAULT_MAX_MESSAGES, DEFAULT_MAX_BYTES, type QueueLimits } from './queue.js';
export { DEFAULT_MAX_SUBSCRIPTIONS, DEFAULT_SUBSCRIPTION_LIMITS } from './topic.js';
export { DEFAULT_MEMORY_BUDGET } from './message-store.js';
export { DEFAULT_MAX_OUTPUT_BACKLOG } from './output-gate.js';
export { DEFAULT_MAX_NODES } from './registry.js';
