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
 * such a process (the read buffers wait for V8's collector), which is the
 * receiver's floor; the sender writes every section from one buffer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { startProgram, type Running } from '../support/run-program.js';

const PROGRAMS = fileURLToPath(new URL('./programs/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MiB = 1024 * 1024;
const SIZE = 128 * MiB;
/**
 * Peak RSS bounds, in bytes: the sender's near Node's at rest; the
 * receiver's near what Node needs to read a socket at all (seen: 100–145
 * MiB, by when V8 reclaims the read buffers). A client that held the message
 * would need the 66 MiB at rest and the 128 MiB of the message at least.
 */
const SENDER_RSS = 110 * MiB;
const RECEIVER_RSS = 160 * MiB;

interface Report {
  readonly peakRss: number;
  readonly [key: string]: unknown;
}

/** A process's peak RSS (Linux: VmHWM), in bytes. */
function peakRssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:')) ?? '';
  return Number(/(\d+)/.exec(line)?.[1] ?? 0) * 1024;
}

async function report(running: Running): Promise<Report> {
  const finished = await running.done;
  expect(finished.stderr, finished.stdout).toBe('');
  expect(finished.code).toBe(0);
  return JSON.parse(finished.lines[finished.lines.length - 1]!) as Report;
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

  it('sendStreamed then receiveStreamed: every byte arrives, accepted at both ends; neither client\'s RSS follows the size', async () => {
    const sent = await report(startProgram(process.execPath, [`${PROGRAMS}stream-send.mjs`, url, 'large', String(SIZE)], { cwd: ROOT, timeoutMs: 60_000 }));
    expect(sent).toMatchObject({ state: 'accepted', bytes: SIZE });
    const received = await report(startProgram(process.execPath, [`${PROGRAMS}stream-receive.mjs`, url, 'large'], { cwd: ROOT, timeoutMs: 60_000 }));
    expect(received).toMatchObject({ bytes: SIZE, expected: SIZE, same: true, outcome: 'accepted' });
    const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
    const brokerPeak = peakRssOf(broker.pid);
    console.log(`peak RSS: sender ${mib(sent.peakRss)} (${String(sent['ms'])} ms), receiver ${mib(received.peakRss)} (${String(received['ms'])} ms), broker ${mib(brokerPeak)} (it holds the message whole)`);
    expect(brokerPeak).toBeGreaterThan(SIZE);
    expect(sent.peakRss).toBeLessThan(SENDER_RSS);
    expect(received.peakRss).toBeLessThan(RECEIVER_RSS);
  }, 90_000);
});
