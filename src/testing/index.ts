/**
 * rx-amqp/testing: one kit for testing code built on rx-amqp, all in virtual
 * time and browser-safe:
 *
 * - TestBroker: the real embedded broker on an in-memory network, with its
 *   faults (links detached, credit withheld, dispatch stopped, connections
 *   dropped), for marble tests of pipelines and of recovery code;
 * - FakePeer: a scriptable AMQP peer (refuses attaches, holds settlements,
 *   ignores drains, closes connections with a condition), whose queues are
 *   the broker's own;
 * - EnginePair: two sans-IO engines back to back, for code on the engine,
 *   and the engine fuzzer.
 */
export { TestBroker, TEST_BROKER_URL, type TestBrokerOptions } from './test-broker.js';
export type { LinkSelector } from '../broker/faults.js';
export {
  FakePeer,
  FAKE_PEER_PORT,
  FAKE_PEER_CREDIT,
  FAKE_PEER_SASL,
  type FakePeerOptions,
  type FakeTransfer,
  type FakeDisposition,
  type FakeDetach,
  type AttachPolicy,
} from './fake-peer.js';
export { EnginePair, type EnginePairOptions, type Side, type Responder, type CapturedChunk } from './engine-pair.js';
export { fuzzEngine, captureConversation, Random, type FuzzOptions, type FuzzReport, type FuzzFailure, type Conversation } from './fuzz.js';
export { MemoryNetwork } from '../transport/memory/memory-network.js';
