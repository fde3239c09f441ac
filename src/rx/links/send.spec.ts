import { describe, expect, it } from 'vitest';
import { from, map, Subject, VirtualTimeScheduler, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { MemoryNetwork } from '../../transport/memory/memory-network.js';
import { DeliveryError } from './delivery.js';
import type { Message } from './message.js';
import { send, sendFrom, type SendResult, type SenderOptions } from './send.js';
import { FakePeer, type FakePeerOptions } from '../../testing/fake-peer.js';
import { connectTo, peerRig } from '../../testing/peer-rig.spec-helper.js';

const rig = (peerOptions: Partial<FakePeerOptions> = {}) => peerRig({ route: false, ...peerOptions });

function collect(results$: Observable<SendResult>) {
  const results: SendResult[] = [];
  const log: string[] = [];
  const subscription = results$.subscribe({
    next: (r) => results.push(r),
    error: (e: unknown) => log.push(`error ${(e as Error).name} ${(e as Error).message}`),
    complete: () => log.push('complete'),
  });
  return { results, log, subscription, summary: () => results.map((r) => `${String(r.message.body)}:${r.state}`) };
}

const bodies = (...values: unknown[]): Message[] => values.map((body) => ({ body: body as Message['body'] }));

describe('send', () => {
  it('sends each message and emits its outcome; completes once the source completed and all are settled', () => {
    const { peer, connection$, runUntil } = rig();
    const c = collect(from(bodies(1, 2, 3)).pipe(send(connection$, 'q')));
    runUntil();
    expect(c.summary()).toEqual(['1:accepted', '2:accepted', '3:accepted']);
    expect(c.log).toEqual(['complete']);
    expect(peer.transfers.map((t) => [t.address, t.message.body, t.settled])).toEqual([
      ['q', 1, false],
      ['q', 2, false],
      ['q', 3, false],
    ]);
    expect(peer.attaches[0]).toMatchObject({ role: 'sender', sndSettleMode: 'unsettled', target: { address: 'q' } });
    // Completed: the link was detached and, as the last user, the connection closed.
    expect(peer.detaches).toMatchObject([{ by: 'client', closed: true }]);
    expect(peer.openConnections).toBe(0);
  });

  it('reports each outcome; rejectedAsError turns a rejection into an error', () => {
    const outcome: FakePeerOptions['outcome'] = (t) => {
      switch (t.message.body) {
        case 'bad':
          return { type: 'rejected', error: { condition: 'app:invalid', description: 'bad body' } };
        case 'later':
          return { type: 'released' };
        case 'odd':
          return { type: 'modified', deliveryFailed: true };
        default:
          return { type: 'accepted' };
      }
    };
    const { connection$, runUntil } = rig({ outcome });
    const c = collect(from(bodies('ok', 'bad', 'later', 'odd')).pipe(send(connection$, 'q')));
    runUntil();
    expect(c.summary()).toEqual(['ok:accepted', 'bad:rejected', 'later:released', 'odd:modified']);
    const rejected = c.results[1]!;
    expect(rejected.error).toBeInstanceOf(DeliveryError);
    expect(rejected.error).toMatchObject({ condition: 'app:invalid', description: 'bad body', remote: true, scope: 'delivery' });
    expect(c.results[3]!.outcome).toMatchObject({ type: 'modified', deliveryFailed: true });

    const strict = rig({ outcome });
    const s = collect(from(bodies('ok', 'bad', 'ok2')).pipe(send(strict.connection$, 'q', { rejectedAsError: true })));
    strict.runUntil();
    expect(s.summary()).toEqual(['ok:accepted']);
    expect(s.log).toEqual(['error DeliveryError app:invalid: bad body']);
  });

  it('waits for credit: nothing is sent before the peer grants it, and never more than granted', () => {
    const { peer, connection$, runUntil } = rig({ credit: 0 });
    const c = collect(from(bodies(1, 2, 3, 4, 5)).pipe(send(connection$, 'q')));
    runUntil();
    expect(peer.transfers).toEqual([]);
    peer.grant('q', 2);
    runUntil();
    expect(peer.transfers.map((t) => t.message.body)).toEqual([1, 2]);
    expect(c.summary()).toEqual(['1:accepted', '2:accepted']);
    peer.grant('q', 10);
    runUntil();
    expect(c.summary()).toHaveLength(5);
    expect(c.log).toEqual(['complete']);
  });

  it('a message is encoded as it is sent: its shape fails the push, a value that cannot be encoded fails the stream at its turn', () => {
    // The shape (an object with our fields) is checked as it is pushed, even while it waits for credit.
    const shape = rig({ credit: 0 });
    const wrong = collect(from([{ body: 1 }, { body: 2, message_id: 3 } as unknown as Message]).pipe(send(shape.connection$, 'q')));
    shape.runUntil();
    expect(wrong.log).toHaveLength(1);
    expect(wrong.log[0]).toMatch(/^error TypeError message: unknown field "message_id": did you mean "messageId"\?/);
    shape.peer.grant('q', 5);
    shape.runUntil();
    expect(shape.peer.transfers).toEqual([]);

    // A value is read when credit allows: the messages before it go, it and those after it do not, and the stream
    // errors with the error encoding it at push time would have given (amqp:invalid-field, naming the field).
    const { peer, connection$, runUntil } = rig({ credit: 0 });
    const source = new Subject<Message>();
    const c = collect(source.pipe(send(connection$, 'q')));
    runUntil();
    source.next({ body: 1 });
    source.next({ body: 2, priority: 300 });
    source.next({ body: 3 });
    runUntil();
    expect(c.log).toEqual([]);
    peer.grant('q', 5);
    runUntil();
    expect(peer.transfers.map((t) => t.message.body)).toEqual([1]);
    expect(c.log).toEqual(["error AmqpError amqp:invalid-field: cannot encode the message's priority: 300 is out of range for ubyte"]);

    // Under credit it is sent, so encoded, as it is pushed: the same error at once.
    const open = rig();
    const now = collect(from([{ body: 1, priority: 300 }]).pipe(send(open.connection$, 'q')));
    open.runUntil();
    expect(now.log).toEqual(["error AmqpError amqp:invalid-field: cannot encode the message's priority: 300 is out of range for ubyte"]);
    expect(open.peer.transfers).toEqual([]);
  });

  it('a message waiting for credit is sent as it is when credit comes (as Proton and rhea read it at their send call)', () => {
    const { peer, connection$, runUntil } = rig({ credit: 0 });
    const source = new Subject<Message>();
    const c = collect(source.pipe(send(connection$, 'q')));
    const waiting: { body: string; subject?: string } = { body: 'as pushed' };
    source.next(waiting);
    runUntil();
    waiting.body = 'as sent';
    waiting.subject = 'added';
    peer.grant('q', 1);
    runUntil();
    expect(peer.transfers.map((t) => [t.message.body, t.message.subject])).toEqual([['as sent', 'added']]);
    expect(c.results[0]!.message).toBe(waiting);
  });

  it('presettled: at-most-once, each result is "sent"', () => {
    const { peer, connection$, runUntil } = rig();
    const c = collect(from(bodies('a', 'b')).pipe(send(connection$, 'q', { presettled: true })));
    runUntil();
    expect(c.summary()).toEqual(['a:sent', 'b:sent']);
    expect(c.log).toEqual(['complete']);
    expect(peer.transfers.map((t) => t.settled)).toEqual([true, true]);
    expect(peer.attaches[0]!.sndSettleMode).toBe('settled');
  });

  it('at-least-once: what was unsettled when the connection dropped is sent again on the new link', () => {
    let holding = true;
    const { peer, connection$, runUntil } = rig({ outcome: () => (holding ? undefined : { type: 'accepted' }) });
    const c = collect(from(bodies(1, 2, 3)).pipe(send(connection$, 'q')));
    runUntil();
    expect(peer.transfers.map((t) => t.message.body)).toEqual([1, 2, 3]);
    expect(c.results).toEqual([]);
    holding = false;
    peer.dropConnections();
    runUntil();
    expect(peer.connectionCount).toBe(2);
    expect(peer.transfers.map((t) => [t.connection, t.message.body])).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
      [2, 1],
      [2, 2],
      [2, 3],
    ]);
    expect(c.summary()).toEqual(['1:accepted', '2:accepted', '3:accepted']);
    expect(c.log).toEqual(['complete']);
  });

  it('presettled messages are not resent after a reconnect', () => {
    const { peer, connection$, runUntil } = rig();
    const source = new Subject<Message>();
    collect(source.pipe(send(connection$, 'q', { presettled: true })));
    runUntil();
    source.next({ body: 1 });
    runUntil();
    peer.dropConnections();
    runUntil();
    source.next({ body: 2 });
    runUntil();
    expect(peer.transfers.map((t) => [t.connection, t.message.body])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('anonymous relay: a null address sends each message to its "to"', () => {
    const { peer, connection$, runUntil } = rig({ offeredCapabilities: ['ANONYMOUS-RELAY'] });
    const c = collect(
      from([
        { to: 'a', body: 1 },
        { to: 'b', body: 2 },
      ]).pipe(send(connection$, null)),
    );
    runUntil();
    expect(c.log).toEqual(['complete']);
    expect(peer.attaches[0]!.target).toMatchObject({ type: 'target', address: undefined });
    expect(peer.transfers.map((t) => [t.address, t.message.body])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('anonymous relay: errors clearly when the peer does not offer it, or a message has no "to"', () => {
    const plain = rig();
    const c = collect(from([{ to: 'a', body: 1 }]).pipe(send(plain.connection$, null)));
    plain.runUntil();
    expect(c.log).toEqual([expect.stringMatching(/^error AmqpError amqp:not-implemented: .*does not offer ANONYMOUS-RELAY/)]);
    const relay = rig({ offeredCapabilities: ['ANONYMOUS-RELAY'] });
    const d = collect(from([{ body: 1 }]).pipe(send(relay.connection$, null)));
    relay.runUntil();
    expect(d.log).toEqual([expect.stringMatching(/amqp:invalid-field: .*needs a 'to' address/)]);
  });

  it('errors with the LinkError when the peer refuses the link', () => {
    const { peer, connection$, runUntil } = rig();
    peer.refuseNextAttach({ condition: 'amqp:unauthorized-access', description: 'not yours' });
    const c = collect(from(bodies(1)).pipe(send(connection$, 'q')));
    runUntil();
    expect(c.log).toEqual(['error LinkError amqp:unauthorized-access: not yours']);
  });

  it('sends the target options', () => {
    const { peer, connection$, runUntil } = rig();
    collect(from(bodies(1)).pipe(send(connection$, 'jobs', { name: 'jobs-sender', capabilities: 'queue', durable: true })));
    runUntil();
    expect(peer.attaches[0]).toMatchObject({
      name: 'jobs-sender',
      target: { address: 'jobs', capabilities: ['queue'], durable: 'unsettled-state', expiryPolicy: 'never' },
    });
  });

  it('rejects wrong options with a TypeError naming the option', () => {
    const { connection$ } = rig();
    const bad = (options: SenderOptions, pattern: RegExp) => expect(() => send(connection$, 'q', options)).toThrow(pattern);
    bad({ bufferSize: -1 }, /options\.bufferSize/);
    bad({ overflow: 'drop' as never }, /options\.overflow/);
    bad({ presettled: 1 as never }, /options\.presettled/);
    bad({ buffersize: 3 } as never, /unknown option "buffersize"/);
    expect(() => send(connection$, '')).toThrow(/address/);
    expect(() => sendFrom(connection$, 'q', 42 as never)).toThrow(/source/);
  });
});

describe('send: overflow policies (marbles)', () => {
  /** Messages a..d arrive one per frame; the peer grants credit only at frame 10. */
  function runPolicy(options: SenderOptions, expected: string, values?: Record<string, string>, error?: unknown) {
    const scheduler = new TestScheduler((actual, expectedValue) => expect(actual).toEqual(expectedValue));
    scheduler.run(({ cold, expectObservable }) => {
      const network = new MemoryNetwork({ scheduler });
      const peer = new FakePeer({ listen: network.listen, scheduler, credit: 0, route: false }).start();
      const connection$ = connectTo(network, scheduler);
      scheduler.schedule(() => peer.grant('q', 10), 10);
      const messages$ = cold('abcd|').pipe(map((body) => ({ body })));
      expectObservable(
        messages$.pipe(
          send(connection$, 'q', { bufferSize: 2, ...options }),
          map((r) => r.message.body as string),
        ),
      ).toBe(expected, values, error);
    });
  }

  it("'error' (the default) fails on the first message that does not fit", () => {
    runPolicy({}, '--#', undefined, expect.objectContaining({ condition: 'amqp:resource-limit-exceeded' }));
  });

  it("'drop-oldest' keeps the newest", () => {
    runPolicy({ overflow: 'drop-oldest' }, '----------(cd|)', { c: 'c', d: 'd' });
  });

  it("'drop-newest' keeps the oldest", () => {
    runPolicy({ overflow: 'drop-newest' }, '----------(ab|)', { a: 'a', b: 'b' });
  });
});

describe('sendFrom', () => {
  it('pulls an Iterable no faster than credit', () => {
    const { peer, connection$, runUntil } = rig({ credit: 0 });
    let pulled = 0;
    function* messages() {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield { body: i };
      }
    }
    const c = collect(sendFrom(connection$, 'q', messages()));
    runUntil();
    expect(pulled).toBe(0);
    peer.grant('q', 3);
    runUntil();
    expect(pulled).toBe(3);
    expect(c.results).toHaveLength(3);
    peer.grant('q', 100);
    runUntil();
    expect(pulled).toBe(10);
    expect(c.summary()).toEqual(Array.from({ length: 10 }, (_, i) => `${i}:accepted`));
    expect(c.log).toEqual(['complete']);
  });

  it('asks a producer function for at most the credit', () => {
    const { peer, connection$, runUntil } = rig({ credit: 0 });
    const asked: number[] = [];
    let next = 0;
    const c = collect(
      sendFrom(connection$, 'q', (n) => {
        asked.push(n);
        const batch: Message[] = [];
        while (batch.length < n && next < 5) batch.push({ body: next++ });
        return batch;
      }),
    );
    runUntil();
    expect(asked).toEqual([]);
    peer.grant('q', 2);
    runUntil();
    peer.grant('q', 10);
    runUntil();
    expect(asked[0]).toBe(2);
    expect(Math.max(...asked)).toBeLessThanOrEqual(10);
    expect(c.summary()).toEqual(['0:accepted', '1:accepted', '2:accepted', '3:accepted', '4:accepted']);
    expect(c.log).toEqual(['complete']);
  });

  it('pulls an AsyncIterable one at a time within credit', async () => {
    const scheduler = new VirtualTimeScheduler();
    const network = new MemoryNetwork({ scheduler });
    const peer = new FakePeer({ listen: network.listen, scheduler, credit: 0, route: false }).start();
    const connection$ = connectTo(network, scheduler);
    let pulled = 0;
    async function* messages() {
      for (let i = 0; i < 4; i++) {
        pulled++;
        yield { body: i };
      }
    }
    const c = collect(sendFrom(connection$, 'q', messages()));
    const settle = async () => {
      for (let i = 0; i < 20; i++) {
        scheduler.flush();
        await Promise.resolve();
      }
    };
    await settle();
    peer.grant('q', 2);
    await settle();
    expect(pulled).toBe(2);
    peer.grant('q', 5);
    await settle();
    expect(c.summary()).toEqual(['0:accepted', '1:accepted', '2:accepted', '3:accepted']);
    expect(c.log).toEqual(['complete']);
  });
});
