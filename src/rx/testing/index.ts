/**
 * Test kit for code built on rx-amqp (grows into the public `rx-amqp/testing`):
 * a scriptable fake AMQP peer that runs over a MemoryNetwork, in virtual time.
 */
export {
  FakePeer, FAKE_PEER_PORT, FAKE_PEER_CREDIT, FAKE_PEER_SASL,
  type FakePeerOptions, type FakeTransfer, type FakeDisposition, type FakeDetach, type AttachPolicy,
} from './fake-peer.js';
