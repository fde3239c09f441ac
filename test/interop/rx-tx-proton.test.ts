/**
 * Our transaction() client against a coordinator written with Qpid Proton's
 * Python API (proton_tx_coordinator.py): Proton decodes what we send — the
 * coordinator attach, declare and discharge as amqp-value described lists,
 * transactional-state {txn-id} on transfers and {txn-id, accepted} on
 * dispositions — and we decode Proton's declared {txn-id}. No broker from
 * Debian's Proton packages has a coordinator (broker.py and broker.c refuse
 * nothing and declare nothing), hence the small one here.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatWith, from, ignoreElements, lastValueFrom, switchMap, take, tap, toArray } from 'rxjs';
import { Container, receive, transaction, type Message } from '../../src/index.js';
import { canConnect, freePort, LOOPBACK, protonPython } from '../support/peers/index.js';
import { sleep } from '../support/peers/net.js';

const COORDINATOR = fileURLToPath(new URL('./proton_tx_coordinator.py', import.meta.url));

describe('transaction() against a Proton Python coordinator', () => {
  let output = '';
  let port = 0;
  let child: ReturnType<typeof spawn> | undefined;
  const lines = () =>
    output
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');

  beforeAll(async () => {
    port = await freePort();
    child = spawn(protonPython(), ['-u', COORDINATOR, `${LOOPBACK}:${port}`], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const deadline = Date.now() + 15_000;
    while (!(await canConnect(LOOPBACK, port, 300))) {
      if (Date.now() > deadline) throw new Error(`coordinator not listening:\n${output}`);
      await sleep(50);
    }
  });
  afterAll(() => {
    try {
      if (child?.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });

  async function until(pattern: RegExp, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output)) {
      if (Date.now() > deadline) throw new Error(`no output matching ${pattern}:\n${output}`);
      await sleep(20);
    }
  }

  it('declares, sends and accepts in the transaction, commits; a second one rolls back', async () => {
    const connection$ = new Container({ id: 'tx-proton' }).connect(`amqp://${LOOPBACK}:${port}`, { reconnect: false });
    const ids: string[] = [];
    const results = await lastValueFrom(
      transaction(connection$).pipe(
        tap((tx) => ids.push(new TextDecoder().decode(tx.id))),
        switchMap((tx) =>
          from([{ body: 'm1' }, { body: 'm2' }] as Message[]).pipe(
            tx.send('orders'),
            toArray(),
            switchMap((sent) =>
              receive(connection$, 'inbox', { autoAccept: false }).pipe(
                tap((delivery) => tx.accept(delivery)),
                take(2),
                ignoreElements(),
                concatWith(tx.commit()),
                toArray(),
                switchMap(() => from([sent])),
              ),
            ),
          ),
        ),
      ),
    );
    expect(ids).toEqual(['txn-1']);
    expect(results.map((r) => r.state)).toEqual(['accepted', 'accepted']);
    expect(results[0]!.outcome).toMatchObject({ type: 'transactional-state', outcome: { type: 'accepted' } });
    await until(/discharge txn-1 fail=False/);
    await until(/settled .*settled /s);

    await lastValueFrom(transaction(connection$).pipe(switchMap((tx) => tx.rollback())), { defaultValue: undefined });
    await until(/discharge txn-2 fail=True/);

    const seen = lines();
    expect(seen).toContain('coordinator attached amqp:local-transactions');
    expect(seen).toContain('declare txn-1');
    expect(seen).toContain("transfer 'm1' state=0x34 txn=txn-1");
    expect(seen).toContain("transfer 'm2' state=0x34 txn=txn-1");
    expect(seen.filter((l) => l.startsWith('settled'))).toEqual(['settled state=0x34 txn=txn-1 outcome=0x24', 'settled state=0x34 txn=txn-1 outcome=0x24']);
    // Order on the wire: the work, then its discharge.
    expect(seen.indexOf('discharge txn-1 fail=False')).toBeGreaterThan(seen.lastIndexOf('settled state=0x34 txn=txn-1 outcome=0x24'));
    expect(seen).toContain('declare txn-2');
  });
});
