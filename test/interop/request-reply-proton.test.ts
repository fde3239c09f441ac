/**
 * request() and respond() against Qpid Proton's own request-reply examples,
 * unchanged, through our embedded broker (issue 18, item 2):
 *
 * - our request() ↔ Proton's server.py: server.py answers through an
 *   anonymous sender with `correlation_id` copied from the request's
 *   correlation-id (not its message-id), so request() must set both;
 * - Proton's client.py ↔ our respond(): client.py attaches a dynamic
 *   receiver, sends each request with its address as reply-to and no ids at
 *   all, one at a time, and prints "request => reply".
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { from, lastValueFrom, map, take, toArray } from 'rxjs';
import { connect, receive, request, respond, startBroker, type Message, type RunningBroker } from '../../src/index.js';
import { LOOPBACK, protonPython, PROTON_PYTHON_EXAMPLES } from '../support/peers/index.js';
import { sleep } from '../support/peers/net.js';
import { startProgram, type Running } from '../support/run-program.js';

const JABBERWOCKY = [
  'Twas brillig, and the slithy toves',
  'Did gire and gymble in the wabe.',
  'All mimsy were the borogroves,',
  'And the mome raths outgrabe.',
];

function example(script: string, args: readonly string[]): Running {
  return startProgram(protonPython(), ['-u', join(PROTON_PYTHON_EXAMPLES, script), ...args]);
}

describe("request-reply with Qpid Proton's client.py and server.py, through our broker", () => {
  let broker: RunningBroker;
  beforeEach(async () => {
    protonPython();
    broker = await startBroker({ host: LOOPBACK, port: 0 });
  });
  afterEach(async () => {
    await broker?.stop();
  });

  it("our request() gets each reply from Proton's server.py, matched by the correlation-id it echoes", async () => {
    const server = example('server.py', ['-a', `${LOOPBACK}:${broker.port}/requests`]);
    try {
      // server.py prints "Listening on" before its receiver is attached: wait until the broker has its consumer.
      const deadline = Date.now() + 10_000;
      while ((broker.broker.registry.find('requests')?.stats().consumers ?? 0) === 0) {
        if (Date.now() > deadline) throw new Error(`server.py did not attach:\n${server.stdout()}`);
        await sleep(20);
      }
      const connection$ = connect(broker.url, { reconnect: false });
      const replies = await lastValueFrom(
        from(JABBERWOCKY).pipe(
          map((body): Message => ({ body })),
          request(connection$, 'requests', { timeout: 10_000 }),
          toArray(),
        ),
      );
      expect(replies.map((r) => `${String(r.request.body)} => ${String(r.reply.body)}`).sort()).toEqual(
        JABBERWOCKY.map((l) => `${l} => ${l.toUpperCase()}`).sort(),
      );
      for (const { request: sent, reply } of replies) expect(reply.correlationId).toBe(sent.correlationId);
      // server.py printed each request as Proton decoded it: our reply-to and ids among its fields.
      const received = server
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('Received'));
      expect(received).toHaveLength(4);
      for (const line of received) expect(line).toMatch(/reply_to='temp-queue:\/\/[^']+'.*id='request-[^']+', correlation_id='request-[^']+'/);
    } finally {
      await server.stop();
    }
    // The reply queue went with the operator.
    expect(broker.broker.registry.stats().queues.filter((q) => q.name.startsWith('temp-queue://'))).toEqual([]);
  });

  it("Proton's client.py gets each reply from our respond(), which sends it to client.py's dynamic queue", async () => {
    const connection$ = connect(broker.url, { reconnect: false });
    const served = lastValueFrom(
      receive(connection$, 'requests').pipe(
        respond(connection$, (q) => ({ body: String(q.body).toUpperCase() })),
        take(JABBERWOCKY.length),
        toArray(),
      ),
    );
    // Attached before client.py sends.
    while ((broker.broker.registry.find('requests')?.stats().consumers ?? 0) === 0) await sleep(10);
    const client = await example('client.py', ['-a', `${LOOPBACK}:${broker.port}/requests`]).done;
    expect({ code: client.code, stderr: client.stderr }).toEqual({ code: 0, stderr: '' });
    expect(client.lines).toEqual(JABBERWOCKY.map((l) => `${l} => ${l.toUpperCase()}`));
    const answered = await served;
    // client.py sets no message-id or correlation-id: the replies carry none either.
    expect(answered.map((a) => [a.reply.to, a.reply.correlationId])).toEqual(JABBERWOCKY.map(() => [answered[0]!.request.replyTo, undefined]));
    expect(broker.broker.registry.find('requests')!.stats().depth).toBe(0);
  });
});
