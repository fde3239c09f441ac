/**
 * Qpid Proton's own examples, unchanged, against our embedded broker and our
 * listen(): Proton Python's helloworld.py, simple_send.py/simple_recv.py,
 * client.py/server.py (request-reply through a dynamic queue and the
 * anonymous relay), colour_send.py/selected_recv.py (a JMS selector),
 * queue_browser.py (distribution-mode copy), the peer-to-peer direct_send.py
 * and direct_recv.py, and Proton C's send/receive with 10,000 messages. Each
 * example must exit 0 and print exactly what it prints against a real broker.
 *
 * Each test gets a broker of its own: helloworld.py and queue_browser.py use
 * the node "examples" and have "localhost:5672" written into them, so they run
 * through proton_example.py, which sends that address to our port instead.
 *
 * What the examples assume about a broker (read from their source):
 * - simple_recv.py/selected_recv.py/direct_recv.py print each message body;
 *   simple_send.py/direct_send.py print "all messages confirmed" once every
 *   message was accepted.
 * - client.py attaches a dynamic receiver and sends each request with that
 *   address as reply-to; server.py answers through an anonymous sender (no
 *   target) with `to` set to the reply-to.
 * - queue_browser.py (source distribution-mode copy) closes as soon as it has
 *   no delivery buffered (its `receiver.drained` is a method, so always
 *   true): it prints the messages that arrived in the first burst. A handful
 *   of small messages arrive in one burst, so it prints them all.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catchError, EMPTY, filter, lastValueFrom, map, mergeMap, range, take, toArray } from 'rxjs';
import { connect, Container, receive, send, startBroker, type RunningBroker } from '../../src/index.js';
import { buildProtonCExample, canConnect, freePort, LOOPBACK, protonPython, PROTON_PYTHON_EXAMPLES } from '../support/peers/index.js';
import { sleep } from '../support/peers/net.js';
import { startProgram as start, type Finished, type Running } from '../support/run-program.js';

const LAUNCHER = fileURLToPath(new URL('./proton_example.py', import.meta.url));

/** Runs one of Proton's Python examples (through the launcher) to its end. */
function example(script: string, args: readonly string[], server?: { port: number }, timeoutMs?: number): Running {
  return start(protonPython(), ['-u', LAUNCHER, join(PROTON_PYTHON_EXAMPLES, script), ...args], {
    timeoutMs,
    env: server === undefined ? {} : { PROTON_EXAMPLE_SERVER: `${LOOPBACK}:${server.port}` },
  });
}

/** Asserts a clean exit, showing everything printed when it was not. */
function expectSuccess(result: Finished): void {
  expect({ code: result.code, stderr: result.stderr }, result.stdout).toEqual({ code: 0, stderr: '' });
}

/** Waits until `running` printed a line matching `pattern`. */
async function waitForOutput(running: Running, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(running.stdout())) {
    if (Date.now() > deadline) throw new Error(`no output matching ${pattern} within ${timeoutMs} ms:\n${running.stdout()}`);
    await sleep(20);
  }
}

/** Waits until a program we started listens on `port`; fails if it exits first. */
async function waitForListener(running: Running, port: number, timeoutMs = 10_000): Promise<void> {
  let exited = false;
  void running.done.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(LOOPBACK, port, 500))) {
    if (exited) throw new Error(`exited before listening on ${port}:\n${JSON.stringify(await running.done)}`);
    if (Date.now() > deadline) throw new Error(`not listening on ${port} after ${timeoutMs} ms`);
    await sleep(30);
  }
}

/** The bodies Proton's examples send, as we decode them: maps {sequence: n} with n a long. */
const sequenceMaps = (count: number): Map<string, bigint>[] => Array.from({ length: count }, (_, i) => new Map([['sequence', BigInt(i + 1)]]));

const sequence = (count: number, first = 1): string[] => Array.from({ length: count }, (_, i) => `{'sequence': ${first + i}}`);

describe("Qpid Proton's examples against our broker", () => {
  let broker: RunningBroker;
  let address: (node: string) => string;
  beforeEach(async () => {
    protonPython();
    broker = await startBroker({ host: LOOPBACK, port: 0 });
    address = (node) => `${LOOPBACK}:${broker.port}/${node}`;
  });
  afterEach(async () => {
    await broker?.stop();
  });

  it('helloworld.py prints Hello World!', async () => {
    const result = await example('helloworld.py', [], broker).done;
    expectSuccess(result);
    expect(result.lines).toEqual(['Hello World!']);
  });

  it('simple_recv.py (started first) receives the 100 messages simple_send.py sends, in order', async () => {
    const receiver = example('simple_recv.py', ['-a', address('examples'), '-m', '100']);
    const sent = await example('simple_send.py', ['-a', address('examples'), '-m', '100']).done;
    expectSuccess(sent);
    expect(sent.lines).toEqual(['all messages confirmed']);
    const received = await receiver.done;
    expectSuccess(received);
    expect(received.lines).toEqual(sequence(100));
  });

  it('simple_send.py stores 100 messages that a later simple_recv.py takes in two runs of 50', async () => {
    const sent = await example('simple_send.py', ['-a', address('stored'), '-m', '100']).done;
    expectSuccess(sent);
    expect(broker.stats().depth).toBe(100);
    const first = await example('simple_recv.py', ['-a', address('stored'), '-m', '50']).done;
    expectSuccess(first);
    expect(first.lines).toEqual(sequence(50));
    // simple_recv.py closes with prefetched messages unsettled: they go back to the queue, in place.
    const second = await example('simple_recv.py', ['-a', address('stored'), '-m', '50']).done;
    expectSuccess(second);
    expect(second.lines).toEqual(sequence(50, 51));
    expect(broker.stats().depth).toBe(0);
  });

  it('client.py gets each request back upper-cased from server.py (dynamic reply queue, anonymous relay)', async () => {
    const server = example('server.py', ['-a', address('requests')]);
    try {
      await waitForOutput(server, /Listening on/);
      const client = await example('client.py', ['-a', address('requests')]).done;
      expectSuccess(client);
      const requests = [
        'Twas brillig, and the slithy toves',
        'Did gire and gymble in the wabe.',
        'All mimsy were the borogroves,',
        'And the mome raths outgrabe.',
      ];
      expect(client.lines).toEqual(requests.map((r) => `${r} => ${r.toUpperCase()}`));
      const received = server
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('Received'));
      expect(received).toHaveLength(4);
      // Each request named the client's temporary queue as its reply-to.
      expect(received.every((l) => /reply_to='[^']+'/.test(l))).toBe(true);
    } finally {
      await server.stop();
    }
    // The temporary queue went with the client's link.
    expect(broker.stats().queues).toBe(1);
  });

  it("selected_recv.py gets only colour_send.py's green messages; the red ones stay for simple_recv.py", async () => {
    const sent = await example('colour_send.py', ['-a', address('colours'), '-m', '100']).done;
    expectSuccess(sent);
    expect(sent.lines).toEqual(['all messages confirmed']);
    const green = await example('selected_recv.py', ['-a', address('colours'), '-m', '50']).done;
    expectSuccess(green);
    expect(green.lines).toEqual(Array.from({ length: 50 }, (_, i) => `green ${2 * i + 1}`));
    const red = await example('simple_recv.py', ['-a', address('colours'), '-m', '50']).done;
    expectSuccess(red);
    expect(red.lines).toEqual(Array.from({ length: 50 }, (_, i) => `red ${2 * i + 2}`));
  });

  it('queue_browser.py shows the messages on "examples" and leaves them there', async () => {
    expectSuccess(await example('simple_send.py', ['-a', address('examples'), '-m', '5']).done);
    const expected = Array.from({ length: 5 }, (_, i) => `Message(priority=4, id=${i + 1}, body={'sequence': ${i + 1}})`);
    for (let run = 0; run < 2; run++) {
      const browsed = await example('queue_browser.py', [], broker).done;
      expectSuccess(browsed);
      expect(browsed.lines).toEqual(expected);
    }
    expect(broker.stats().depth).toBe(5);
    const taken = await example('simple_recv.py', ['-a', address('examples'), '-m', '5']).done;
    expectSuccess(taken);
    expect(taken.lines).toEqual(sequence(5));
  });

  it("Proton C's send and receive pass 10,000 messages through the broker", async () => {
    const sender = buildProtonCExample('send');
    const receiver = buildProtonCExample('receive');
    const port = String(broker.port);
    const sent = await start(sender, [LOOPBACK, port, 'c-examples', '10000']).done;
    expectSuccess(sent);
    expect(sent.lines).toEqual(['10000 messages sent and acknowledged']);
    const received = await start(receiver, [LOOPBACK, port, 'c-examples', '10000']).done;
    expectSuccess(received);
    expect(received.lines).toHaveLength(10_001);
    const wrong = received.lines
      .slice(0, 10_000)
      .map((line, i) => ({ i, line }))
      .filter(({ i, line }) => line !== `{"sequence"=${i + 1}}`);
    expect(wrong.slice(0, 3)).toEqual([]);
    expect(received.lines[10_000]).toBe('10000 messages received');
    expect(broker.stats().depth).toBe(0);
  });

  it("Proton C's receive (started first) gets 10,000 messages while send sends them", async () => {
    const port = String(broker.port);
    const receiving = start(buildProtonCExample('receive'), [LOOPBACK, port, 'c-live', '10000']);
    const sent = await start(buildProtonCExample('send'), [LOOPBACK, port, 'c-live', '10000']).done;
    expectSuccess(sent);
    const received = await receiving.done;
    expectSuccess(received);
    expect(received.lines.at(-1)).toBe('10000 messages received');
    const wrong = received.lines
      .slice(0, 10_000)
      .map((line, i) => ({ i, line }))
      .filter(({ i, line }) => line !== `{"sequence"=${i + 1}}`);
    expect(wrong.slice(0, 3)).toEqual([]);
  });
});

/**
 * Proton's peer-to-peer examples listen themselves: direct_recv.py and
 * direct_send.py against our client, and Proton's simple_send.py against a
 * receiver of ours built on listen() (the broker-less counterpart).
 */
describe("Qpid Proton's peer-to-peer examples against our client and listen()", () => {
  /** Starts a listening example on a free port (retrying if another process takes the port first). */
  async function listening(script: string, args: (url: string) => string[]): Promise<{ running: Running; url: string }> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const running = example(script, args(`${LOOPBACK}:${port}/examples`));
      try {
        await waitForListener(running, port);
        return { running, url: `amqp://${LOOPBACK}:${port}` };
      } catch (e) {
        lastError = e;
        await running.stop();
      }
    }
    throw lastError;
  }

  it('direct_recv.py receives the 100 messages our send() sends it, each accepted', async () => {
    const { running, url } = await listening('direct_recv.py', (a) => ['-a', a, '-m', '100']);
    try {
      const results = await lastValueFrom(
        range(1, 100).pipe(
          map((i) => ({ messageId: BigInt(i), body: { sequence: BigInt(i) } })),
          send(connect(url, { reconnect: false }), 'examples', { bufferSize: 100 }),
          toArray(),
        ),
      );
      expect(results.map((r) => r.state)).toEqual(Array(100).fill('accepted'));
      const received = await running.done;
      expectSuccess(received);
      expect(received.lines).toEqual(sequence(100));
    } finally {
      await running.stop();
    }
  });

  it('our receive() gets the 100 messages direct_send.py sends, and direct_send.py sees them all accepted', async () => {
    const { running, url } = await listening('direct_send.py', (a) => ['-a', a, '-m', '100']);
    try {
      const bodies = await lastValueFrom(
        receive(connect(url, { reconnect: false }), 'examples').pipe(
          take(100),
          map((d) => d.message.body),
          toArray(),
        ),
      );
      expect(bodies).toEqual(sequenceMaps(100));
      const sent = await running.done;
      expectSuccess(sent);
      expect(sent.lines).toEqual(['all messages confirmed']);
    } finally {
      await running.stop();
    }
  });

  it('simple_send.py sends 100 messages to a receiver of ours on listen(), each accepted', async () => {
    const container = new Container({ id: 'direct-recv' });
    let port: number | undefined;
    const bodies: unknown[] = [];
    const listener = container
      .listen({ host: LOOPBACK, port: 0, onListening: (a) => (port = a.port) })
      .pipe(
        mergeMap((connection) => connection.links$),
        filter((link) => link.role === 'sender' && link.address === 'examples'),
        // simple_send.py closes its connection without detaching: the link ends with the connection's loss.
        mergeMap((link) => link.receive().pipe(catchError(() => EMPTY))),
      )
      .subscribe((delivery) => bodies.push(delivery.message.body));
    try {
      const deadline = Date.now() + 5_000;
      while (port === undefined && Date.now() < deadline) await sleep(5);
      expect(port).toBeDefined();
      // simple_send.py closes the connection once it has seen all 100 accepted.
      const sent = await example('simple_send.py', ['-a', `${LOOPBACK}:${port}/examples`, '-m', '100']).done;
      expectSuccess(sent);
      expect(sent.lines).toEqual(['all messages confirmed']);
      expect(bodies).toEqual(sequenceMaps(100));
    } finally {
      listener.unsubscribe();
    }
  });
});
