/**
 * The public RxJS API against Qpid Proton's Python example broker (broker.py):
 * 10,000 messages each accepted and received back in order, and what it does
 * with the selector and browse options.
 *
 * broker.py (read /usr/share/proton/examples/python/broker.py) supports
 * neither: it never looks at the source's filter or distribution-mode, does
 * not echo them in its attach, and pops each message from its queue when it
 * sends it. So a selector filters nothing, and browsing consumes. It also
 * drops released messages rather than requeueing them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastValueFrom, take, toArray } from 'rxjs';
import { connect, receive, type AttachedLink } from '../../src/index.js';
import { startProtonPythonBroker, type RunningPeer } from '../support/peers/index.js';
import { DRAINED_ROUNDS, drainThreeRounds, expectInOrder, MANY, mostUnsettledUnderMergeMap, receiveBodies, sendNumbered } from './rx-helpers.js';

describe('rx-amqp API with the Proton Python broker (broker.py)', () => {
  let broker: RunningPeer | undefined;
  beforeAll(async () => {
    broker = await startProtonPythonBroker();
  }, 30_000);
  afterAll(async () => {
    await broker?.stop();
  });

  it(`sends ${MANY} messages, each accepted, and receives them in order`, async () => {
    const connection$ = connect(broker!.url, { reconnect: false });
    await sendNumbered(connection$, 'rx-many', MANY);
    expectInOrder(await receiveBodies(connection$, 'rx-many', MANY), MANY);
  }, 60_000);

  it('mergeMap(handle, 4) with manual accept keeps at most prefetch deliveries unsettled', async () => {
    const connection$ = connect(broker!.url, { reconnect: false });
    const count = 500;
    const prefetch = 20;
    await sendNumbered(connection$, 'rx-merge', count);
    const most = await mostUnsettledUnderMergeMap(connection$, 'rx-merge', count, prefetch);
    expect(most).toBeGreaterThanOrEqual(4);
    expect(most).toBeLessThanOrEqual(prefetch);
  }, 60_000);

  it('ignores a selector: the attach answer has no filter and every message arrives', async () => {
    const connection$ = connect(broker!.url, { reconnect: false });
    await sendNumbered(connection$, 'rx-selector', 4);
    const attached: AttachedLink[] = [];
    const deliveries = await lastValueFrom(
      receive(connection$, 'rx-selector', { selector: 'i > 1', onAttach: (link) => attached.push(link) }).pipe(take(4), toArray()),
    );
    expect(attached[0]?.source?.filter).toBeUndefined();
    expect(deliveries.map((d) => d.message.applicationProperties?.['i'])).toEqual([0, 1, 2, 3]);
  }, 30_000);

  it('does not browse: browse: true is answered without distribution-mode copy and consumes the messages', async () => {
    const connection$ = connect(broker!.url, { reconnect: false });
    await sendNumbered(connection$, 'rx-browse', 3);
    const attached: AttachedLink[] = [];
    const browsed = await receiveBodies(connection$, 'rx-browse', 3, { browse: true, onAttach: (link) => attached.push(link) });
    expectInOrder(browsed, 3);
    expect(attached[0]?.source?.distributionMode).toBeUndefined();
    // A browser would leave them; broker.py moved them: the queue is empty now, later messages come next.
    await sendNumbered(connection$, 'rx-browse', 1, 3);
    expectInOrder(await receiveBodies(connection$, 'rx-browse', 1), 1, 3);
  }, 30_000);

  it('drain: true with repeat(): each round gets what is there and completes; broker.py never answers a drain, so a round ends after drainTimeout of silence', async () => {
    const connection$ = connect(broker!.url, { reconnect: false });
    const { rounds, ms } = await drainThreeRounds(connection$, 'rx-drain', { drainTimeout: 300 });
    expect(rounds).toEqual(DRAINED_ROUNDS);
    expect(ms.every((t) => t >= 300)).toBe(true);
  }, 30_000);
});
