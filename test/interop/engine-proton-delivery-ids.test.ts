/**
 * Delivery-ids against Qpid Proton's C engine, which ends the connection on a
 * transfer whose delivery-id is out of sequence ("sequencing error, expected
 * delivery-id N, got M"). The receiver (proton_window_receiver.py) grants a
 * session window of one frame, so our transfers after the first wait for its
 * flows; one link detaching with its transfer still waiting used to leave a
 * gap in the ids before the other link's. (Proton's broker.c grants a window
 * of 2^31-1 frames, so a sender never waits there: this peer is Proton's
 * engine with the window made small.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineConnection } from '../support/engine-client.js';
import { textMessage } from './messages.js';
import { startProtonWindowReceiver, type RunningPeer } from '../support/peers/index.js';

let peer: RunningPeer | undefined;

beforeAll(async () => {
  peer = await startProtonWindowReceiver();
}, 30_000);

afterAll(async () => {
  await peer?.stop();
});

async function waitForLines(pattern: RegExp, count: number, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = peer!
      .output()
      .split('\n')
      .filter((line) => pattern.test(line));
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('delivery-ids against Proton C with a one-frame session window', () => {
  it("two senders on one session: the one detached with a transfer still waiting for window leaves no gap in the other's ids", async () => {
    const connection = await EngineConnection.connect({ host: peer!.host, port: peer!.port });
    try {
      const session = await connection.begin();
      const a = await connection.openSender(session, { name: 'link-a', address: 'q' });
      const b = await connection.openSender(session, { name: 'link-b', address: 'q' });
      await a.waitForCredit();
      await b.waitForCredit();
      const engine = connection.engine;
      // One turn: b's first transfer takes the window; a's and b's next ones wait, a's ahead.
      engine.send(b.id, { payload: textMessage(0) });
      engine.send(a.id, { payload: textMessage(1) });
      engine.send(b.id, { payload: textMessage(2) });
      engine.send(b.id, { payload: textMessage(3) });
      engine.detach(a.id, { closed: true }); // a's transfer never goes out
      connection.flush();
      const received = await waitForLines(/^message /, 3);
      // (The peer's output also has the framing errors of the port probes that waited for it to listen.)
      expect(peer!.output()).not.toMatch(/sequencing error/);
      expect(received.map((line) => line.split(' ')[1])).toEqual(['link-b', 'link-b', 'link-b']);
      expect(engine.error).toBeUndefined();
      // The connection is still good for more.
      expect(await b.send(textMessage(4))).toMatchObject({ state: { type: 'accepted' } });
    } finally {
      connection.destroy();
    }
  });
});
