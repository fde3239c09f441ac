/**
 * A 256 MiB message streamed both ways through RabbitMQ 3.10 (its
 * max_message_size raised to 512 MiB, the 3.x cap), sender and receiver in
 * processes of their own as in large-message.test.ts: every byte checked,
 * accepted at both ends, and neither client's peak RSS follows the size.
 * RabbitMQ keeps the message whole (it is a broker holding it, as ours does).
 * The RSS bounds are large-message.test.ts's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startRabbitMq, type RunningRabbitMq } from '../support/peers/index.js';
import { startProgram, type Running } from '../support/run-program.js';

const PROGRAMS = fileURLToPath(new URL('./programs/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MiB = 1024 * 1024;
const SIZE = 256 * MiB;

async function report(running: Running): Promise<{ peakRss: number; [key: string]: unknown }> {
  const finished = await running.done;
  expect(finished.stderr, finished.stdout).toBe('');
  expect(finished.code).toBe(0);
  return JSON.parse(finished.lines[finished.lines.length - 1]!) as { peakRss: number };
}

describe(`a ${SIZE / MiB} MiB message streamed through RabbitMQ 3.10`, () => {
  let rabbit: RunningRabbitMq | undefined;

  beforeAll(async () => {
    rabbit = await startRabbitMq({ config: ['max_message_size = 536870912'] });
  }, 120_000);
  afterAll(async () => {
    await rabbit?.stop();
  });

  it('sendStreamed then receiveStreamed: every byte arrives, accepted at both ends', async () => {
    const r = rabbit!;
    const args = (program: string, ...more: string[]) => [`${PROGRAMS}${program}`, r.url, '/queue/large', ...more, r.username, r.password];
    const sent = await report(startProgram(process.execPath, args('stream-send.mjs', String(SIZE)), { cwd: ROOT, timeoutMs: 120_000 }));
    expect(sent).toMatchObject({ state: 'accepted', bytes: SIZE });
    const received = await report(startProgram(process.execPath, args('stream-receive.mjs'), { cwd: ROOT, timeoutMs: 120_000 }));
    expect(received).toMatchObject({ bytes: SIZE, expected: SIZE, same: true, outcome: 'accepted' });
    const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
    console.log(`RabbitMQ, peak RSS: sender ${mib(sent.peakRss)} (${String(sent['ms'])} ms), receiver ${mib(received.peakRss)} (${String(received['ms'])} ms)`);
    expect(sent.peakRss).toBeLessThan(110 * MiB);
    expect(received.peakRss).toBeLessThan(160 * MiB);
    expect(r.rabbitmqctl(['list_queues', 'name', 'messages']).split('\n').find((l) => l.startsWith('large\t'))).toBe('large\t0');
  }, 300_000);
});
