/**
 * Transactions (AMQP 1.0 Part 4) against Qpid Proton: Proton Python's own
 * tx_send.py and tx_recv.py, unchanged, against our embedded broker, and our
 * transaction() client in the same broker with them.
 *
 * What the examples do (read from their source and proton/_reactor.py):
 * - Both attach a controller link ("txn-ctrl", target coordinator with
 *   capability amqp:local-transactions) and declare a transaction per batch
 *   (-b, default 10), waiting for the declared outcome, settled, with the txn-id.
 * - tx_send.py sends each message with transactional-state {txn-id} on the
 *   transfer, commits every batch, and prints "all messages committed" when
 *   -m messages are committed; it never commits a partial batch.
 * - tx_recv.py (prefetch 0, credit = batch size after each declare) prints
 *   each body, accepts it with transactional-state {txn-id, accepted} and
 *   does not settle it, then commits the batch; it closes after -m messages.
 *
 * Proton's Python broker.py has no coordinator (it refuses nothing and
 * declares nothing: no transactions), so our client's transactions are
 * proven against our broker, not against broker.py.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { concatWith, from, ignoreElements, lastValueFrom, switchMap } from 'rxjs';
import { Container, startBroker, transaction, type Message, type RunningBroker } from '../../src/index.js';
import { LOOPBACK, protonPython, PROTON_PYTHON_EXAMPLES } from '../support/peers/index.js';
import { startProgram, type Finished, type Running } from '../support/run-program.js';

/** Runs one of Proton's Python examples to its end; killed (with its process group) after `timeoutMs`. */
function example(script: string, args: readonly string[], timeoutMs = 20_000): Promise<Finished> {
  return start(script, args, timeoutMs).done;
}

/** Starts one of Proton's Python examples. */
function start(script: string, args: readonly string[], timeoutMs = 20_000): Running {
  return startProgram(protonPython(), ['-u', join(PROTON_PYTHON_EXAMPLES, script), ...args], { timeoutMs });
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function expectSuccess(result: Finished): void {
  expect({ code: result.code, stderr: result.stderr }, result.stdout).toEqual({ code: 0, stderr: '' });
}

const sequence = (count: number, first = 1): string[] => Array.from({ length: count }, (_, i) => `{'sequence': ${first + i}}`);

describe("Qpid Proton's tx_send.py and tx_recv.py against our broker", () => {
  let broker: RunningBroker;
  let address: string;
  beforeEach(async () => {
    protonPython();
    broker = await startBroker({ host: LOOPBACK, port: 0 });
    address = `amqp://${LOOPBACK}:${broker.port}/examples`;
  });
  afterEach(async () => {
    await broker?.stop();
  });

  it('tx_send.py commits 30 messages in batches of 10; tx_recv.py takes them in committed batches', async () => {
    const sent = await example('tx_send.py', ['-a', address, '-m', '30']);
    expectSuccess(sent);
    expect(sent.lines).toEqual(['all messages committed']);
    expect(broker.stats().depth).toBe(30);
    expect(broker.broker.transactions.stats()).toMatchObject({ active: 0, committed: 3, rolledBack: 0 });

    const received = await example('tx_recv.py', ['-a', address, '-m', '30']);
    expectSuccess(received);
    expect(received.lines).toEqual(sequence(30));
    expect(broker.stats().depth).toBe(0);
    expect(broker.broker.transactions.stats()).toMatchObject({ active: 0, committed: 6, rolledBack: 0 });
  });

  it('tx_recv.py with -m 20 leaves the rest: only committed accepts remove messages', async () => {
    expectSuccess(await example('tx_send.py', ['-a', address, '-m', '40', '-b', '20']));
    const received = await example('tx_recv.py', ['-a', address, '-m', '20', '-b', '5']);
    expectSuccess(received);
    expect(received.lines).toEqual(sequence(20));
    expect(broker.stats().depth).toBe(20);
    const rest = await example('tx_recv.py', ['-a', address, '-m', '20', '-b', '5']);
    expectSuccess(rest);
    expect(rest.lines).toEqual(sequence(20, 21));
    expect(broker.stats().depth).toBe(0);
  });

  it('tx_send.py killed with a batch uncommitted: its transfers were staged, and they are rolled back', async () => {
    // 15 messages in batches of 10: tx_send.py commits 10, sends 5 more and
    // waits forever for a sixth to complete the batch.
    const running = start('tx_send.py', ['-a', address, '-m', '15']);
    await until(() => broker.broker.transactions.stats().committed === 1, 'the first batch is committed');
    // The five go out and are accepted in the transaction (counted as received), but not stored.
    await until(() => broker.stats().received === 15, 'the five uncommitted messages are accepted');
    expect(broker.stats().depth).toBe(10);
    expect(broker.broker.transactions.stats().active).toBe(1);
    const finished = await running.stop();
    expect(finished.code).toBe('SIGKILL');
    await until(() => broker.broker.transactions.stats().active === 0, 'the open transaction is rolled back');
    expect(broker.broker.transactions.stats()).toMatchObject({ committed: 1, rolledBack: 1 });
    expect(broker.stats().depth).toBe(10);
    expect((await example('tx_recv.py', ['-a', address, '-m', '10'])).lines).toEqual(sequence(10));
  });

  it('our transaction(): a rolled-back batch never reaches tx_recv.py, a committed one does', async () => {
    const container = new Container({ id: 'tx-client' });
    const connection$ = container.connect(`amqp://${LOOPBACK}:${broker.port}`, { reconnect: false });
    const batch = (first: number): Message[] => Array.from({ length: 10 }, (_, i) => ({ body: new Map([['sequence', BigInt(first + i)]]) }) as Message);
    // Rolled back: nothing is stored. (Bodies as Proton's: {sequence: n} with n a long.)
    await lastValueFrom(
      transaction(connection$).pipe(switchMap((tx) => from(batch(101)).pipe(tx.send('examples'), ignoreElements(), concatWith(tx.rollback())))),
      { defaultValue: undefined },
    );
    expect(broker.stats().depth).toBe(0);
    // Committed: stored, in order.
    await lastValueFrom(transaction(connection$).pipe(switchMap((tx) => from(batch(1)).pipe(tx.send('examples'), ignoreElements(), concatWith(tx.commit())))), {
      defaultValue: undefined,
    });
    expect(broker.stats().depth).toBe(10);
    const received = await example('tx_recv.py', ['-a', address, '-m', '10']);
    expectSuccess(received);
    expect(received.lines).toEqual(sequence(10));
    expect(broker.broker.transactions.stats()).toMatchObject({ active: 0, committed: 2, rolledBack: 1 });
  });
});
