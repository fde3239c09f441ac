/**
 * The public RxJS API (connect, send, receive) against Qpid Proton's C example
 * broker: 10,000 messages each accepted, received back in order. (This broker
 * forgets a message once sent: released ones are not requeued, so take(n)
 * with prefetch loses the prefetched rest here; no test relies on that.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import { startProtonCBroker, type RunningPeer } from '../support/peers/index.js';
import { DRAINED_ROUNDS, drainThreeRounds, expectInOrder, MANY, receiveBodies, sendNumbered } from './rx-helpers.js';

describe('rx-amqp API with the Proton C broker', () => {
  let broker: RunningPeer | undefined;
  beforeAll(async () => {
    broker = await startProtonCBroker();
  }, 30_000);
  afterAll(async () => {
    await broker?.stop();
  });

  it(`sends ${MANY} messages, each accepted, and receives them in order`, async () => {
    const connection$ = connect(broker!.url, { reconnect: false });
    const results = await sendNumbered(connection$, 'rx-many', MANY);
    expect(results.every((r) => r.outcome?.type === 'accepted')).toBe(true);
    expectInOrder(await receiveBodies(connection$, 'rx-many', MANY), MANY);
  }, 60_000);

  it('drain: true with repeat(): each round gets what is there and completes; broker.c never answers a drain, so a round ends after drainTimeout of silence', async () => {
    const connection$ = connect(broker!.url, { reconnect: false });
    const { rounds, ms } = await drainThreeRounds(connection$, 'rx-drain', { drainTimeout: 300 });
    expect(rounds).toEqual(DRAINED_ROUNDS);
    expect(ms.every((t) => t >= 300)).toBe(true);
  }, 30_000);
});
