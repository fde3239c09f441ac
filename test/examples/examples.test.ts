/**
 * Every example in examples/ runs as a child process, as a user runs it,
 * and its output and exit code are checked:
 * - against the embedded broker (startBroker, started here): all of them;
 * - against Qpid Proton's Python example broker (broker.py) too: helloworld,
 *   simple_send/recv and client/server (it has queues and dynamic reply
 *   queues; no selectors, topics or transactions);
 * - against Qpid Proton's C example broker (broker.c): helloworld,
 *   simple_send/recv and the seed's send/receive (it has queues only);
 * - peer to peer (listen(), no broker): helloworld_direct, direct_send,
 *   direct_recv, server_direct.
 * Tests run concurrently, each on an address (or port) of its own, with small counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { freePort, startProtonCBroker, startProtonPythonBroker, type RunningPeer } from '../support/peers/index.js';
import { killAllExamples, lines, requireBuild, runExample, startExample, type ExampleRun } from './run-example.js';

const JABBERWOCKY = [
  'Twas brillig, and the slithy toves',
  'Did gire and gymble in the wabe.',
  'All mimsy were the borogroves,',
  'And the mome raths outgrabe.',
];
const REPLIES = JABBERWOCKY.map((l) => `${l} => ${l.toUpperCase()}`);
const sequence = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `{'sequence': ${from + i}}`);
const LOOPBACK = '127.0.0.1';
/** Concurrent; a test runs up to five examples in turn, each a Node process with tsx (slow to start on a busy machine). */
const OPTIONS = { concurrent: true, timeout: 60_000 } as const;

function expectSuccess(run: ExampleRun): void {
  expect(run.code, `exit code; stderr:\n${run.stderr}\nstdout:\n${run.stdout}`).toBe(0);
}

let embedded: RunningBroker | undefined;
let protonPython: RunningPeer | undefined;
let protonC: RunningPeer | undefined;

beforeAll(async () => {
  requireBuild();
  [embedded, protonPython, protonC] = await Promise.all([startBroker({ host: LOOPBACK, port: 0 }), startProtonPythonBroker(), startProtonCBroker()]);
}, 60_000);

afterAll(async () => {
  killAllExamples();
  await Promise.all([embedded?.stop(), protonPython?.stop(), protonC?.stop()]);
});

/** Tests for any broker with queues and dynamic nodes: run against both brokers. */
function queueExamples(brokerUrl: () => string): void {
  it('helloworld prints Hello World!', async () => {
    const run = await runExample('helloworld', [brokerUrl(), 'ex-hello']);
    expectSuccess(run);
    expect(run.stdout).toBe('Hello World!\n');
  });

  it('simple_send then simple_recv', async () => {
    const sent = await runExample('simple_send', [brokerUrl(), 'ex-simple', '10']);
    expectSuccess(sent);
    expect(sent.stdout).toBe('all messages confirmed\n');
    const received = await runExample('simple_recv', [brokerUrl(), 'ex-simple', '10']);
    expectSuccess(received);
    expect(lines(received.stdout)).toEqual(sequence(1, 10));
  });

  it('client and server: request-reply through a dynamic reply queue', async () => {
    const server = startExample('server', [brokerUrl(), 'ex-requests', String(JABBERWOCKY.length)]);
    await server.waitFor(/Listening on/);
    const client = await runExample('client', [brokerUrl(), 'ex-requests']);
    expectSuccess(client);
    expect(lines(client.stdout)).toEqual(REPLIES);
    const served = await server.done;
    expectSuccess(served);
    const received = lines(served.stdout).filter((l) => l.startsWith('Received'));
    expect(received).toHaveLength(JABBERWOCKY.length);
    // request() gave each request a message-id, the same correlation-id, and its reply queue as reply-to.
    JABBERWOCKY.forEach((l, i) =>
      expect(received[i]).toMatch(new RegExp(`^Received Message\\(reply_to='[^']+'.*, id='([^']+)', correlation_id='\\1', body='${l}'\\)$`)),
    );
  });
}

describe('examples against the embedded broker', OPTIONS, () => {
  const url = (): string => embedded!.url;
  queueExamples(url);

  it('send then receive (the seed manual, chapter 4)', async () => {
    const sent = await runExample('send', [url(), 'ex-seed', 'hello']);
    expectSuccess(sent);
    expect(lines(sent.stdout)).toEqual(["SEND: Opened sender for target address 'ex-seed'", "SEND: Sent message 'hello'"]);
    const received = await runExample('receive', [url(), 'ex-seed', '1']);
    expectSuccess(received);
    expect(lines(received.stdout)).toEqual(["RECEIVE: Created receiver for source address 'ex-seed'", "RECEIVE: Received message 'hello'"]);
  });

  it('db_send then db_recv: a pull-based producer, accept after insert', async () => {
    const sent = await runExample('db_send', [url(), 'ex-db', '5']);
    expectSuccess(sent);
    const out = lines(sent.stdout);
    expect(out.filter((l) => l.startsWith('sent message'))).toEqual([1, 2, 3, 4, 5].map((i) => `sent message ${i}`));
    expect(out.filter((l) => l.startsWith('settled message'))).toEqual([1, 2, 3, 4, 5].map((i) => `settled message ${i}`));
    expect(out[0]).toBe('loading records...');
    expect(out).toContain('Exhausted available data');
    const received = await runExample('db_recv', [url(), 'ex-db', '5']);
    expectSuccess(received);
    expect(lines(received.stdout)).toEqual([1, 2, 3, 4, 5].map((i) => `inserted message ${i}`));
  });

  it('colour_send, queue_browser, selected_recv: a selector takes the green ones, browsing takes none', async () => {
    const sent = await runExample('colour_send', [url(), 'ex-colours', '6']);
    expectSuccess(sent);
    expect(sent.stdout).toBe('all messages confirmed\n');
    const browsed = await runExample('queue_browser', [url(), 'ex-colours']);
    expectSuccess(browsed);
    expect(lines(browsed.stdout)).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => {
        const colour = n % 2 === 0 ? 'red' : 'green';
        return `Message(id=${n}, properties={'colour': '${colour}'}, body='${colour} ${n}')`;
      }),
    );
    const selected = await runExample('selected_recv', [url(), 'ex-colours', '3']);
    expectSuccess(selected);
    expect(lines(selected.stdout)).toEqual(['green 1', 'green 3', 'green 5']);
    const left = await runExample('queue_browser', [url(), 'ex-colours']);
    expectSuccess(left);
    expect(lines(left.stdout).map((l) => /body='([^']*)'/.exec(l)?.[1])).toEqual(['red 2', 'red 4', 'red 6']);
  });

  it('simple_send then pause_resume: three at a time, nothing arrives while paused', async () => {
    const sent = await runExample('simple_send', [url(), 'ex-paused', '7']);
    expectSuccess(sent);
    const run = await runExample('pause_resume', [url(), 'ex-paused', '7']);
    expectSuccess(run);
    expect(lines(run.stdout)).toEqual([
      ...sequence(1, 3),
      'paused for 500 ms',
      'resumed',
      ...sequence(4, 6),
      'paused for 500 ms',
      'resumed',
      ...sequence(7, 7),
    ]);
  });

  it('stream_send then stream_recv: a 3 MiB file as one message, read and written as it goes, the same bytes at the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-stream-'));
    try {
      const input = join(dir, 'in.bin');
      const output = join(dir, 'out.bin');
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      writeFileSync(input, bytes);
      const sent = await runExample('stream_send', [url(), 'ex-stream', input]);
      expectSuccess(sent);
      expect(sent.stdout).toBe(`sent ${bytes.length} bytes of in.bin: accepted\n`);
      const received = await runExample('stream_recv', [url(), 'ex-stream', output]);
      expectSuccess(received);
      expect(lines(received.stdout)).toEqual([`receiving in.bin (${bytes.length} bytes)`, `wrote ${bytes.length} bytes to ${output}: accepted`]);
      expect(readFileSync(output).equals(bytes)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('selector_switch: switchMap over selectors, red and green in turn, each message once', async () => {
    const sent = await runExample('colour_send', [url(), 'ex-switch', '6']);
    expectSuccess(sent);
    const run = await runExample('selector_switch', [url(), 'ex-switch', '6', '1']);
    expectSuccess(run);
    expect(lines(run.stdout)).toEqual([
      "colour = 'red': red 2",
      "colour = 'green': green 1",
      "colour = 'red': red 4",
      "colour = 'green': green 3",
      "colour = 'red': red 6",
      "colour = 'green': green 5",
    ]);
    expect(embedded!.broker.registry.find('ex-switch')!.stats().depth).toBe(0);
  });

  it('tx_send then tx_recv: batches sent and accepted in transactions', async () => {
    const sent = await runExample('tx_send', [url(), 'ex-tx', '6', '3']);
    expectSuccess(sent);
    expect(sent.stdout).toBe('all messages committed\n');
    const received = await runExample('tx_recv', [url(), 'ex-tx', '6', '3']);
    expectSuccess(received);
    expect(lines(received.stdout)).toEqual(sequence(1, 6));
  });

  it('queue-send then queue-receive (queue capability)', async () => {
    const sent = await runExample('queue-send', [url(), 'ex-jobs', 'job 1', 'job 2']);
    expectSuccess(sent);
    expect(lines(sent.stdout)).toEqual(["SEND: Sent message 'job 1'", "SEND: Sent message 'job 2'"]);
    const received = await runExample('queue-receive', [url(), 'ex-jobs', '2']);
    expectSuccess(received);
    expect(lines(received.stdout)).toEqual([
      "RECEIVE: Created receiver for source address 'ex-jobs'",
      "RECEIVE: Received message 'job 1'",
      "RECEIVE: Received message 'job 2'",
    ]);
  });

  it('topic-receive gets what topic-send publishes (topic capability), as does a second subscriber', async () => {
    const receivers = [startExample('topic-receive', [url(), 'ex-news', '2']), startExample('topic-receive', [url(), 'ex-news', '2'])];
    await Promise.all(receivers.map((r) => r.waitFor(/Created receiver/)));
    const sent = await runExample('topic-send', [url(), 'ex-news', 'first', 'second']);
    expectSuccess(sent);
    for (const receiver of receivers) {
      const received = await receiver.done;
      expectSuccess(received);
      expect(lines(received.stdout)).toEqual([
        "RECEIVE: Created receiver for source address 'ex-news'",
        "RECEIVE: Received message 'first'",
        "RECEIVE: Received message 'second'",
      ]);
    }
  });

  it('durable-subscribe: messages published while detached arrive on the next run', async () => {
    const first = startExample('durable-subscribe', [url(), 'ex-durable', '1']);
    await first.waitFor(/Created receiver/);
    expectSuccess(await runExample('topic-send', [url(), 'ex-durable', 'one']));
    const run1 = await first.done;
    expectSuccess(run1);
    expect(lines(run1.stdout)).toEqual(["RECEIVE: Created receiver for source address 'ex-durable'", "RECEIVE: Received message 'one'"]);
    // Detached now: the subscription keeps collecting.
    expectSuccess(await runExample('topic-send', [url(), 'ex-durable', 'two', 'three']));
    const run2 = await runExample('durable-subscribe', [url(), 'ex-durable', '2']);
    expectSuccess(run2);
    expect(lines(run2.stdout)).toEqual([
      "RECEIVE: Created receiver for source address 'ex-durable'",
      "RECEIVE: Received message 'two'",
      "RECEIVE: Received message 'three'",
    ]);
  });

  it('durable_resume: a durable link detached mid-work is attached again, and the delivery in work is accepted there, not delivered again', async () => {
    const run = startExample('durable_resume', [url(), 'ex-resume', '2']);
    await run.waitFor(/attached resume-sub/);
    const topic = embedded!.broker.registry.lookup('ex-resume', 'topic');
    topic.publish({ body: 'one' });
    await run.waitFor(/received one/);
    // While 'one' is in work (1 s), the broker detaches the link, as Azure Service Bus does to idle links.
    expect(embedded!.broker.faults.detach({ name: 'resume-sub' }, { condition: 'amqp:link:detach-forced', description: 'by the test' })).toBe(1);
    await run.waitFor(/attached resume-sub[\s\S]*attached resume-sub/);
    topic.publish({ body: 'two' });
    const done = await run.done;
    expectSuccess(done);
    const out = lines(done.stdout);
    expect(out.filter((l) => l.startsWith('received'))).toEqual(['received one', 'received two']);
    expect(out.filter((l) => l.startsWith('accepted'))).toEqual(['accepted one', 'accepted two']);
    expect(out).toContain('link recovering (detached)');
    // At the broker: both accepted once, nothing left, nothing kept for the link.
    const [subscription] = topic.stats().queues;
    expect(subscription).toMatchObject({ dequeued: 2, depth: 0 });
    expect(embedded!.broker.durableLinks.size).toBe(0);
  });

  it('shared-subscribe: two receivers share one subscription, each message goes to one', async () => {
    const shared = startExample('shared-subscribe', [url(), 'ex-shared', '4']);
    await shared.waitFor(/Receiver 1 subscribed[\s\S]*Receiver 2 subscribed|Receiver 2 subscribed[\s\S]*Receiver 1 subscribed/);
    expectSuccess(await runExample('topic-send', [url(), 'ex-shared', 'a', 'b', 'c', 'd']));
    const run = await shared.done;
    expectSuccess(run);
    const deliveries = lines(run.stdout).filter((l) => !l.includes('subscribed'));
    for (const line of deliveries) expect(line).toMatch(/^RECEIVE: Receiver [12] received message '[a-d]'$/);
    expect(deliveries.map((l) => l.slice(-2, -1)).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('failover: a refused URL, then the next one in the list', async () => {
    const dead = `amqp://${LOOPBACK}:${await freePort()}`;
    const run = await runExample('failover', [`${dead},${url()}`, 'ex-failover', '2']);
    expectSuccess(run);
    expect(lines(run.stdout)).toEqual([
      `status: connecting to ${dead} (attempt 1)`,
      expect.stringMatching(/^status: reconnecting in 100 ms \(.*ECONNREFUSED.*\)$/),
      `status: connecting to ${url()} (attempt 2)`,
      `status: open, connected to ${url()}`,
      'received message 1',
      'received message 2',
      'status: closed',
    ]);
  });

  it("reconnect: retries with the manual's backoff until a broker listens", async () => {
    const port = await freePort();
    const demo = startExample('reconnect', [`amqp://${LOOPBACK}:${port}`, 'ex-reconnect', '2']);
    await demo.waitFor(/status: reconnecting/);
    const late = await startBroker({ host: LOOPBACK, port });
    try {
      const run = await demo.done;
      expectSuccess(run);
      const out = lines(run.stdout);
      expect(out[0]).toBe(`status: connecting to amqp://${LOOPBACK}:${port} (attempt 1)`);
      expect(out[1]).toMatch(/^status: reconnecting in 100 ms \(.*ECONNREFUSED.*\)$/);
      expect(out.slice(-4)).toEqual([`status: open, connected to amqp://${LOOPBACK}:${port}`, 'received message 1', 'received message 2', 'status: closed']);
    } finally {
      await late.stop();
    }
  });

  it("send_progress: the broker's received state before each outcome", async () => {
    const fault = embedded!.broker.faults.reportReceived({ address: 'ex-progress' });
    try {
      const run = await runExample('send_progress', [url(), 'ex-progress', '2']);
      expectSuccess(run);
      // Each message has a properties section and an amqp-value: all of it arrived is section 2, offset 0.
      expect(lines(run.stdout)).toEqual([
        'message 1: received up to section 2, offset 0',
        'message 1: accepted',
        'message 2: received up to section 2, offset 0',
        'message 2: accepted',
        'all messages confirmed',
      ]);
    } finally {
      fault.unsubscribe();
    }
  });

  it('pipeline: the marble-tested operator on a real receiver', async () => {
    const run = await runExample('pipeline', [url(), 'ex-orders', '4']);
    expectSuccess(run);
    expect(lines(run.stdout)).toEqual([
      'order 1: Alice (gold) pays 9.00',
      'order 2: Bob (standard) pays 20.00',
      'order 3: Alice (gold) pays 27.00',
      'order 4: Bob (standard) pays 40.00',
    ]);
  });
});

describe("examples against Proton's Python broker (broker.py)", OPTIONS, () => {
  queueExamples(() => protonPython!.url);
});

// broker.c has queues only (no dynamic nodes, selectors, topics or
// transactions) and sends pre-settled: the examples that need no more.
describe("examples against Proton's C broker (broker.c)", OPTIONS, () => {
  const url = (): string => protonC!.url;
  it('helloworld prints Hello World!', async () => {
    const run = await runExample('helloworld', [url(), 'ex-c-hello']);
    expectSuccess(run);
    expect(run.stdout).toBe('Hello World!\n');
  });

  it('simple_send then simple_recv', async () => {
    const sent = await runExample('simple_send', [url(), 'ex-c-simple', '10']);
    expectSuccess(sent);
    expect(sent.stdout).toBe('all messages confirmed\n');
    const received = await runExample('simple_recv', [url(), 'ex-c-simple', '10']);
    expectSuccess(received);
    expect(lines(received.stdout)).toEqual(sequence(1, 10));
  });

  it('send then receive (the seed manual, chapter 4)', async () => {
    const sent = await runExample('send', [url(), 'ex-c-seed', 'hello']);
    expectSuccess(sent);
    expect(lines(sent.stdout)).toEqual(["SEND: Opened sender for target address 'ex-c-seed'", "SEND: Sent message 'hello'"]);
    const received = await runExample('receive', [url(), 'ex-c-seed', '1']);
    expectSuccess(received);
    expect(lines(received.stdout)).toEqual(["RECEIVE: Created receiver for source address 'ex-c-seed'", "RECEIVE: Received message 'hello'"]);
  });
});

describe('peer-to-peer examples (listen(), no broker)', OPTIONS, () => {
  it('helloworld_direct talks to itself', async () => {
    const run = await runExample('helloworld_direct', [`amqp://${LOOPBACK}:${await freePort()}`, 'examples']);
    expectSuccess(run);
    expect(run.stdout).toBe('Hello World!\n');
  });

  it('direct_recv receives what simple_send sends', async () => {
    const direct = `amqp://${LOOPBACK}:${await freePort()}`;
    const receiver = startExample('direct_recv', [direct, 'examples', '10']);
    const sent = await runExample('simple_send', [direct, 'examples', '10']);
    expectSuccess(sent);
    expect(sent.stdout).toBe('all messages confirmed\n');
    const received = await receiver.done;
    expectSuccess(received);
    expect(lines(received.stdout)).toEqual(sequence(1, 10));
  });

  it('simple_recv receives what direct_send sends', async () => {
    const direct = `amqp://${LOOPBACK}:${await freePort()}`;
    const sender = startExample('direct_send', [direct, 'examples', '10']);
    const received = await runExample('simple_recv', [direct, 'examples', '10']);
    expectSuccess(received);
    expect(lines(received.stdout)).toEqual(sequence(1, 10));
    const sent = await sender.done;
    expectSuccess(sent);
    expect(sent.stdout).toBe('all messages confirmed\n');
  });

  it('client talks to server_direct', async () => {
    const direct = `amqp://${LOOPBACK}:${await freePort()}`;
    const server = startExample('server_direct', [direct, String(JABBERWOCKY.length)]);
    await server.waitFor(/Listening on/);
    const client = await runExample('client', [direct, 'examples']);
    expectSuccess(client);
    expect(lines(client.stdout)).toEqual(REPLIES);
    const served = await server.done;
    expectSuccess(served);
    expect(lines(served.stdout)[0]).toBe(`Listening on ${direct}`);
    expect(lines(served.stdout).filter((l) => l.startsWith('Received'))).toHaveLength(JABBERWOCKY.length);
  });
});
