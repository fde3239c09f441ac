/**
 * Every example in examples/ runs as a child process, as a user runs it,
 * against a broker started here; its output and exit code are checked.
 * Peer-to-peer examples (direct_*, server_direct) need no broker. Tests run
 * concurrently, each on its own address (or port), with small counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startProtonPythonBroker, type RunningPeer } from '../support/peers/index.js';
import { lines, requireBuild, runExample, startExample, type ExampleRun } from './run-example.js';

const JABBERWOCKY = [
  'Twas brillig, and the slithy toves',
  'Did gire and gymble in the wabe.',
  'All mimsy were the borogroves,',
  'And the mome raths outgrabe.',
];
const sequence = (n: number): string[] => Array.from({ length: n }, (_, i) => `{'sequence': ${i + 1}}`);

function expectSuccess(run: ExampleRun): void {
  expect(run.code, `exit code; stderr:\n${run.stderr}\nstdout:\n${run.stdout}`).toBe(0);
}

let broker: RunningPeer | undefined;
let url = '';

beforeAll(async () => {
  requireBuild();
  broker = await startProtonPythonBroker();
  url = broker.url;
}, 60_000);

afterAll(async () => {
  await broker?.stop();
});

describe.concurrent('examples against a broker (Proton Python broker.py)', () => {
  it('helloworld prints Hello World!', async () => {
    const run = await runExample('helloworld', [url, 'ex-hello']);
    expectSuccess(run);
    expect(run.stdout).toBe('Hello World!\n');
  });

  it('send then receive (the seed manual, chapter 4)', async () => {
    const sent = await runExample('send', [url, 'ex-seed', 'hello']);
    expectSuccess(sent);
    expect(lines(sent.stdout)).toEqual(["SEND: Opened sender for target address 'ex-seed'", "SEND: Sent message 'hello'"]);
    const received = await runExample('receive', [url, 'ex-seed', '1']);
    expectSuccess(received);
    expect(lines(received.stdout)).toEqual(["RECEIVE: Created receiver for source address 'ex-seed'", "RECEIVE: Received message 'hello'"]);
  });

  it('simple_send then simple_recv', async () => {
    const sent = await runExample('simple_send', [url, 'ex-simple', '10']);
    expectSuccess(sent);
    expect(sent.stdout).toBe('all messages confirmed\n');
    const received = await runExample('simple_recv', [url, 'ex-simple', '10']);
    expectSuccess(received);
    expect(lines(received.stdout)).toEqual(sequence(10));
  });

  it('client and server: request-reply through a dynamic reply queue', async () => {
    const server = startExample('server', [url, 'ex-requests', String(JABBERWOCKY.length)]);
    await server.waitFor(/Listening on/);
    const client = await runExample('client', [url, 'ex-requests']);
    expectSuccess(client);
    expect(lines(client.stdout)).toEqual(JABBERWOCKY.map((l) => `${l} => ${l.toUpperCase()}`));
    const served = await server.done;
    expectSuccess(served);
    const received = lines(served.stdout).filter((l) => l.startsWith('Received'));
    expect(received).toHaveLength(JABBERWOCKY.length);
    JABBERWOCKY.forEach((l, i) => expect(received[i]).toMatch(new RegExp(`^Received Message\\(reply_to='[^']+'.*correlation_id=${i}, body='${l}'\\)$`)));
  });

  it('db_send then db_recv: a pull-based producer and accept-after-insert', async () => {
    const sent = await runExample('db_send', [url, 'ex-db', '5']);
    expectSuccess(sent);
    const out = lines(sent.stdout);
    expect(out.filter((l) => l.startsWith('sent message'))).toEqual([1, 2, 3, 4, 5].map((i) => `sent message ${i}`));
    expect(out.filter((l) => l.startsWith('settled message'))).toEqual([1, 2, 3, 4, 5].map((i) => `settled message ${i}`));
    expect(out).toContain('loading records...');
    expect(out).toContain('Exhausted available data');
    const received = await runExample('db_recv', [url, 'ex-db', '5']);
    expectSuccess(received);
    expect(lines(received.stdout)).toEqual([1, 2, 3, 4, 5].map((i) => `inserted message ${i}`));
  });
});

describe.concurrent('peer-to-peer examples (listen(), no broker)', () => {
  it('direct_recv receives what simple_send sends', async () => {
    const direct = `amqp://127.0.0.1:${await freePort()}`;
    const receiver = startExample('direct_recv', [direct, 'examples', '10']);
    const sent = await runExample('simple_send', [direct, 'examples', '10']);
    expectSuccess(sent);
    expect(sent.stdout).toBe('all messages confirmed\n');
    const received = await receiver.done;
    expectSuccess(received);
    expect(lines(received.stdout)).toEqual(sequence(10));
  });

  it('simple_recv receives what direct_send sends', async () => {
    const direct = `amqp://127.0.0.1:${await freePort()}`;
    const sender = startExample('direct_send', [direct, 'examples', '10']);
    const received = await runExample('simple_recv', [direct, 'examples', '10']);
    expectSuccess(received);
    expect(lines(received.stdout)).toEqual(sequence(10));
    const sent = await sender.done;
    expectSuccess(sent);
    expect(sent.stdout).toBe('all messages confirmed\n');
  });

  it('client talks to server_direct', async () => {
    const direct = `amqp://127.0.0.1:${await freePort()}`;
    const server = startExample('server_direct', [direct, String(JABBERWOCKY.length)]);
    await server.waitFor(/Listening on/);
    const client = await runExample('client', [direct, 'examples']);
    expectSuccess(client);
    expect(lines(client.stdout)).toEqual(JABBERWOCKY.map((l) => `${l} => ${l.toUpperCase()}`));
    const served = await server.done;
    expectSuccess(served);
    expect(lines(served.stdout)[0]).toBe(`Listening on ${direct}`);
    expect(lines(served.stdout).filter((l) => l.startsWith('Received'))).toHaveLength(JABBERWOCKY.length);
  });
});
