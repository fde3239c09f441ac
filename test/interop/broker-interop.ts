/**
 * The scenarios our engine runs against each of Qpid Proton's example
 * brokers (broker.c and broker.py): one suite, started and stopped by the
 * calling test file, parameterised by what each broker really does with
 * outcomes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionId } from '../../src/engine/index.js';
import { EngineConnection, RELEASED, type Outcome } from '../support/engine-client.js';
import type { RunningPeer } from '../support/peers/index.js';
import { binaryMessage, patternBytes, readBinary, readText, sameBytes, textMessage } from './messages.js';

export interface ProtonBrokerBehaviour {
  /**
   * The broker sends messages to consumers pre-settled (broker.c: "Pre-settled:
   * unreliable, there will be no ack"), so a receiver has no outcome to give.
   */
  readonly presettlesDeliveries: boolean;
}

const MANY = 10_000;
const BIG = 10 * 1024 * 1024;

let queueCounter = 0;
/** A fresh queue per test: both brokers create queues on first use. */
const freshQueue = (name: string): string => `${name}-${++queueCounter}`;

/** All outcomes accepted and settled by the broker. */
function expectAllAccepted(outcomes: readonly (Outcome | undefined)[]): void {
  const notAccepted = outcomes.filter((o) => o?.state?.type !== 'accepted' || !o.settled);
  expect(notAccepted.slice(0, 3)).toEqual([]);
}

export function describeProtonBroker(name: string, start: () => Promise<RunningPeer>, behaviour: ProtonBrokerBehaviour): void {
  describe(`our engine as a client of ${name}`, () => {
    let peer: RunningPeer | undefined;
    let connection: EngineConnection | undefined;
    let session: SessionId;

    beforeAll(async () => {
      peer = await start();
      connection = await EngineConnection.connect({ host: peer.host, port: peer.port });
      session = await connection.begin();
    });

    afterAll(async () => {
      connection?.destroy();
      await peer?.stop();
    });

    const conn = (): EngineConnection => connection!;

    it('opens a connection and a session, and attaches a sender and a receiver', async () => {
      const open = conn().engine.remoteOpen!;
      expect(typeof open.containerId).toBe('string');
      expect(conn().events.map((e) => e.type)).toEqual(['connection-opened', 'session-begun']);
      const address = freshQueue('attach');
      const sender = await conn().openSender(session, { address });
      const receiver = await conn().openReceiver(session, { address });
      expect(sender.remoteAttach).toMatchObject({ role: 'receiver', target: { address } });
      expect(receiver.remoteAttach).toMatchObject({ role: 'sender', source: { address } });
      expect((await sender.detach()).initiator).toBe('local');
      expect((await receiver.detach()).initiator).toBe('local');
    });

    it(`sends ${MANY} unsettled messages, each accepted, and receives them all in order`, async () => {
      const address = freshQueue('many');
      const sender = await conn().openSender(session, { address });
      const outcomes = await sender.sendAll(MANY, (i) => textMessage(i));
      expectAllAccepted(outcomes);
      expect(sender.unsettled).toBe(0);

      const receiver = await conn().openReceiver(session, { address });
      const deliveries = await receiver.receive(MANY, { window: 500 });
      const wrong = deliveries.map((d, i) => ({ i, ...readText(d.payload) })).filter((m) => m.id !== BigInt(m.i) || m.text !== `message ${m.i}`);
      expect(wrong.slice(0, 3)).toEqual([]);
      expect(deliveries.every((d) => d.settled === behaviour.presettlesDeliveries)).toBe(true);
      // Every delivery was accepted and settled (or came settled): the engine tracks none.
      expect(conn().engine.unsettledCount(receiver.id)).toBe(0);
      await sender.detach();
      await receiver.detach();
    });

    it('carries a 10 MB message in many frames each way and reassembles it intact', async () => {
      // A connection of its own, to count the transfer frames.
      let framesOut = 0;
      let framesIn = 0;
      const big = await EngineConnection.connect(
        { host: peer!.host, port: peer!.port },
        {
          trace: (line) => {
            if (line.includes('@transfer')) {
              if (line.includes(' -> ')) framesOut++;
              else framesIn++;
            }
          },
        },
      );
      try {
        const s = await big.begin();
        const address = freshQueue('big');
        const data = patternBytes(BIG, 7);
        const sender = await big.openSender(s, { address });
        const [outcome] = await sender.sendAll(1, () => binaryMessage(data));
        expect(outcome).toMatchObject({ state: { type: 'accepted' }, settled: true });
        const peerMaxFrame = big.engine.remoteOpen!.maxFrameSize;
        expect(framesOut).toBeGreaterThanOrEqual(Math.ceil(BIG / peerMaxFrame));

        const receiver = await big.openReceiver(s, { address });
        const [delivery] = await receiver.receive(1);
        // Our max-frame-size is 64 KiB, so the broker had to split it too.
        expect(framesIn).toBeGreaterThanOrEqual(Math.ceil(BIG / 65536));
        expect(sameBytes(readBinary(delivery!.payload), data)).toBe(true);
        const closed = await big.close();
        expect(closed.error).toBeUndefined();
      } finally {
        big.destroy();
      }
    });

    it('released and rejected deliveries: what the broker really does', async () => {
      const address = freshQueue('outcomes');
      const sender = await conn().openSender(session, { address });
      const receiver = await conn().openReceiver(session, { address });
      expectAllAccepted(await sender.sendAll(2, (i) => textMessage(i, ['to release', 'to reject'][i])));
      const [released, rejected] = await receiver.receive(2, {
        dispose: (_d, i) =>
          i === 0
            ? { state: RELEASED, settled: true }
            : { state: { type: 'rejected', error: { condition: 'rx-amqp:test', description: 'rejected by the test' } }, settled: true },
      });
      expect(readText(released!.payload).text).toBe('to release');
      expect(readText(rejected!.payload).text).toBe('to reject');
      if (behaviour.presettlesDeliveries) {
        // broker.c sends pre-settled: the deliveries are over when they arrive,
        // and the engine has no unsettled delivery to give an outcome to.
        expect([released!.settled, rejected!.settled]).toEqual([true, true]);
      } else {
        expect([released!.settled, rejected!.settled]).toEqual([false, false]);
      }
      expect(conn().engine.unsettledCount(receiver.id)).toBe(0);

      // Neither broker requeues: broker.c because the messages left it
      // pre-settled; broker.py because its Queue pops a message when sending and
      // MessagingHandler.on_released / on_rejected do nothing. So a marker sent
      // now (on the same connection, after our dispositions) is the next
      // message, and nothing else follows while credit is open.
      expectAllAccepted(await sender.sendAll(1, () => textMessage(2, 'marker')));
      receiver.grant(5);
      const next = await receiver.next();
      expect(readText(next.payload).text).toBe('marker');
      expect(await receiver.quiet(300)).toBe(0);
      await sender.detach();
      await receiver.detach();
    });

    it('sends pre-settled messages on a settled-mode link; they all arrive', async () => {
      const address = freshQueue('presettled');
      const sender = await conn().openSender(session, { address, sndSettleMode: 'settled' });
      // The sender's snd-settle-mode governs; the broker's answer need not repeat it (both say 'mixed').
      expect(conn().engine.link(sender.id)!.sndSettleMode).toBe('settled');
      const outcomes = await sender.sendAll(1000, (i) => textMessage(i), { settled: true });
      expect(outcomes.every((o) => o === undefined)).toBe(true);
      expect(sender.unsettled).toBe(0);

      const receiver = await conn().openReceiver(session, { address });
      const deliveries = await receiver.receive(1000, { window: 200 });
      expect(deliveries.map((d) => readText(d.payload).id)).toEqual(Array.from({ length: 1000 }, (_, i) => BigInt(i)));
      await sender.detach();
      await receiver.detach();
    });

    it('closes the connection cleanly', async () => {
      const closed = await conn().close();
      expect(closed).toMatchObject({ type: 'connection-closed', initiator: 'local', error: undefined });
      expect(conn().engine.isFinished).toBe(true);
      expect(conn().transportErrorAfterFinish).toBeUndefined();
    });
  });
}
