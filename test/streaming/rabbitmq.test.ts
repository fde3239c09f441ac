/**
 * A 256 MiB message streamed both ways through RabbitMQ 3.10 (its
 * max_message_size raised to 512 MiB, the 3.x cap), sender and receiver in
 * processes of their own as in large-message.test.ts: every byte checked,
 * accepted at both ends, and neither client's peak RSS follows the size.
 * RabbitMQ keeps the message whole (it is a broker holding it, as ours does).
 * The memory bounds are large-message.test.ts's (streamed-clients.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRabbitMq, type RunningRabbitMq } from '../support/peers/index.js';
import { expectBounded, mib, MiB, runClient, runReceiver } from './streamed-clients.js';

const SIZE = 256 * MiB;

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
    const sent = await runClient('stream-send.mjs', [r.url, '/queue/large', String(SIZE), r.username, r.password], 120_000);
    expect(sent).toMatchObject({ state: 'accepted', bytes: SIZE });
    const received = await runReceiver([r.url, '/queue/large', r.username, r.password], 120_000);
    expect(received).toMatchObject({ bytes: SIZE, expected: SIZE, same: true, outcome: 'accepted' });
    console.log(
      `RabbitMQ, peak RSS: sender ${mib(sent.peakRss)} (${String(sent['ms'])} ms), receiver ${mib(received.peakRss)}, ` +
        `${mib(received.peakHeld)} held after a collection (${String(received['ms'])} ms)`,
    );
    expectBounded(sent, received);
    expect(
      r
        .rabbitmqctl(['list_queues', 'name', 'messages'])
        .split('\n')
        .find((l) => l.startsWith('large\t')),
    ).toBe('large\t0');
  }, 300_000);
});
