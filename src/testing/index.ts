/**
 * rx-amqp/testing: marble-test pipelines built on rx-amqp against the real
 * embedded broker, in virtual time (see TestBroker). Browser-safe.
 */
export { TestBroker, TEST_BROKER_URL, type TestBrokerOptions } from './test-broker.js';
export type { LinkSelector } from '../broker/faults.js';
