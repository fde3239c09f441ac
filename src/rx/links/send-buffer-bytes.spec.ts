import { describe, expect, it } from 'vitest';
import { from, Subject, take, VirtualTimeScheduler, type Observable } from 'rxjs';
import { TestBroker } from '../../testing/test-broker.js';
import type { Message } from './message.js';
import { send, type SendResult } from './send.js';
import { SendOverflowError } from './send-error.js';

const KIB = 1024;

/** The real broker in virtual time, and what it stored on 'q'. */
function brokerRig() {
  const scheduler = new VirtualTimeScheduler();
  const broker = new TestBroker({ scheduler });
  const stored: unknown[] = [];
  broker.stored('q').subscribe((m) => stored.push(bodyId(m)));
  return {
    broker,
    stored,
    connection$: broker.connect(),
    runUntil() {
      scheduler.flush();
    },
  };
}

/** Messages of 100 KiB each, numbered by their first byte. */
const big = (n: number): Message[] => Array.from({ length: n }, (_, i) => ({ body: new Uint8Array(100 * KIB).fill(i) }));
const bodyId = (m: Message): number => (m.body as Uint8Array)[0]!;

function run(results$: Observable<SendResult>) {
  const ids: number[] = [];
  const log: string[] = [];
  let error: unknown;
  results$.subscribe({
    next: (r) => ids.push(bodyId(r.message)),
    error: (e: unknown) => {
      error = e;
      log.push(`error ${(e as Error).name}`);
    },
    complete: () => log.push('complete'),
  });
  return { ids, log, error: () => error };
}

// Sent before the link is attached, a synchronous source's messages all wait: 3 of 100 KiB fit in 350,000 bytes, not 4.
const options = { bufferBytes: 350_000 };

describe('send: bufferBytes', () => {
  it("'error' (the default) fails on the first message that does not fit in bytes, naming bufferBytes, and lists every message not sent", () => {
    const rig = brokerRig();
    const out = run(from(big(10)).pipe(send(rig.connection$, 'q', options)));
    rig.runUntil();
    expect(out.log).toEqual(['error SendOverflowError']);
    const error = out.error() as SendOverflowError;
    expect(error).toBeInstanceOf(SendOverflowError);
    expect(error.option).toBe('bufferBytes');
    expect(error.condition).toBe('amqp:resource-limit-exceeded');
    expect(error.message).toMatch(/bufferBytes 350000/);
    expect(error.unsent.map(bodyId)).toEqual([0, 1, 2, 3]);
    expect(rig.broker.depth('q')).toBe(0);
  });

  for (const [overflow, kept] of [
    ['drop-oldest', [7, 8, 9]],
    ['drop-newest', [0, 1, 2]],
  ] as const) {
    it(`'${overflow}' keeps the ${overflow === 'drop-oldest' ? 'newest' : 'oldest'} that fit in bytes; they are at the broker`, () => {
      const rig = brokerRig();
      const out = run(from(big(10)).pipe(send(rig.connection$, 'q', { ...options, overflow })));
      rig.runUntil();
      expect(out.ids).toEqual(kept);
      expect(out.log).toEqual(['complete']);
      expect(rig.stored).toEqual(kept);
      expect(rig.broker.depth('q')).toBe(3);
    });
  }

  it("'drop-oldest' drops as many small messages as a large one needs", () => {
    const rig = brokerRig();
    const small = (i: number): Message => ({ body: new Uint8Array(10 * KIB).fill(i) });
    const messages = [small(0), small(1), small(2), { body: new Uint8Array(330 * KIB).fill(3) }];
    const out = run(from(messages).pipe(send(rig.connection$, 'q', { ...options, overflow: 'drop-oldest' })));
    rig.runUntil();
    // 330 KiB + its bound's overhead leaves room for at most one 10 KiB message of the three.
    expect(out.ids).toEqual([2, 3]);
    expect(rig.stored).toEqual([2, 3]);
  });

  it('take(2) mid-stream: the two results are at the broker, the rest never sent', () => {
    const rig = brokerRig();
    const out = run(from(big(10)).pipe(send(rig.connection$, 'q', { ...options, overflow: 'drop-newest' }), take(2)));
    rig.runUntil();
    expect(out.ids).toEqual([0, 1]);
    expect(out.log).toEqual(['complete']);
    // The third was in flight when take unsubscribed: at least once, it may be stored; none of the dropped ones is.
    expect(rig.stored.slice(0, 2)).toEqual([0, 1]);
    expect(rig.stored.every((id) => (id as number) <= 2)).toBe(true);
  });

  for (const overflow of ['error', 'drop-oldest', 'drop-newest'] as const) {
    it(`a message larger than bufferBytes alone fails the send under '${overflow}', with credit too; those before it are at the broker`, () => {
      const rig = brokerRig();
      const messages$ = new Subject<Message>();
      const out = run(messages$.pipe(send(rig.connection$, 'q', { bufferBytes: 1024 * KIB, overflow })));
      rig.runUntil();
      messages$.next({ body: new Uint8Array(KIB).fill(1) });
      rig.runUntil();
      messages$.next({ body: new Uint8Array(2048 * KIB).fill(2) });
      rig.runUntil();
      expect(out.ids).toEqual([1]);
      const error = out.error() as SendOverflowError;
      expect(error).toBeInstanceOf(SendOverflowError);
      expect(error.option).toBe('bufferBytes');
      expect(error.message).toMatch(/larger than bufferBytes \(1048576\) alone/);
      expect(error.unsent.map(bodyId)).toEqual([2]);
      expect(rig.stored).toEqual([1]);
      expect(messages$.observed).toBe(false);
    });
  }

  it('counts a string body and application properties, not only binary', () => {
    const rig = brokerRig();
    const text = (i: number): Message => ({ body: 'x'.repeat(100 * KIB), applicationProperties: { i } });
    const out = run(from([0, 1, 2, 3, 4].map(text)).pipe(send(rig.connection$, 'q', { ...options, overflow: 'drop-newest' })));
    rig.runUntil();
    expect(out.ids.length).toBe(3);
    expect(rig.broker.depth('q')).toBe(3);
  });

  it('rejects a wrong bufferBytes naming it', () => {
    const rig = brokerRig();
    expect(() => send(rig.connection$, 'q', { bufferBytes: -1 })).toThrow(/options\.bufferBytes/);
    expect(() => send(rig.connection$, 'q', { bufferBytes: 1.5 })).toThrow(/options\.bufferBytes/);
  });
});
