/**
 * A large message streamed both ways through the embedded broker, each side
 * in a process of its own (programs/): sendStreamed writes a body it makes
 * as it goes, the broker (its limits raised) holds the message whole, and
 * receiveStreamed reads it chunk by chunk, checking every byte. Each process
 * reports its peak RSS (VmHWM): the clients' must not follow the message's
 * size. 128 MiB here; `npm run bench -- stream-large` does 1 GiB.
 *
 * For scale: Node with rx-amqp loaded takes about 66 MiB before any
 * traffic, and a bare Node socket reading a gigabyte peaks around 115 MiB in
 * such a process (the read buffers wait for V8's collector). So the
 * receiver collects garbage as it reads and also reports what it still holds
 * just after each collection (streamed-clients.ts): the memory it keeps, not
 * when V8 frees its reads. The sender writes every section from one buffer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { startProgram, type Running } from '../support/run-program.js';
import { expectBounded, mib, MiB, runClient, runReceiver } from './streamed-clients.js';

const PROGRAMS = fileURLToPath(new URL('./programs/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SIZE = 128 * MiB;

/** A process's peak RSS (Linux: VmHWM), in bytes. */
function peakRssOf(pid: number): number {
  const line =
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmHWM:')) ?? '';
  return Number(/(\d+)/.exec(line)?.[1] ?? 0) * 1024;
}

describe(`a ${SIZE / MiB} MiB message streamed through the embedded broker, each side in its own process`, () => {
  let broker: Running;
  let url = '';

  beforeAll(async () => {
    broker = startProgram(process.execPath, [`${PROGRAMS}broker.mjs`, String(SIZE)], { cwd: ROOT, timeoutMs: 120_000 });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const port = /listening (\d+)/.exec(broker.stdout())?.[1];
      if (port !== undefined) {
        url = `amqp://127.0.0.1:${port}`;
        break;
      }
      if (Date.now() > deadline) throw new Error(`the broker did not start:\n${broker.stdout()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }, 30_000);

  afterAll(async () => {
    await broker?.stop();
  });

  it("sendStreamed then receiveStreamed: every byte arrives, accepted at both ends; neither client's memory follows the size", async () => {
    const sent = await runClient('stream-send.mjs', [url, 'large', String(SIZE)], 60_000);
    expect(sent).toMatchObject({ state: 'accepted', bytes: SIZE });
    const received = await runReceiver([url, 'large'], 60_000);
    expect(received).toMatchObject({ bytes: SIZE, expected: SIZE, same: true, outcome: 'accepted' });
    const brokerPeak = peakRssOf(broker.pid);
    console.log(
      `peak RSS: sender ${mib(sent.peakRss)} (${String(sent['ms'])} ms), receiver ${mib(received.peakRss)}, ${mib(received.peakHeld)} held after a collection ` +
        `(${String(received['ms'])} ms), broker ${mib(brokerPeak)} (it holds the message whole)`,
    );
    expect(brokerPeak).toBeGreaterThan(SIZE);
    expectBounded(sent, received);
  }, 90_000);
});
