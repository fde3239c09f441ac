/**
 * A send's non-terminal delivery states (nonTerminalStates: `received` before
 * the outcome) and its message format, against the real broker in virtual
 * time: the broker's reportReceived fault answers each message with
 * `received` (all of it arrived) before accepting it.
 */
import { describe, expect, it } from 'vitest';
import { filter, from, Subject, take, VirtualTimeScheduler, type Observable } from 'rxjs';
import { TestBroker } from '../../testing/test-broker.js';
import type { Message } from './message.js';
import { isSendResult, send, sendFrom, type SendProgress, type SendResult } from './send.js';

function rig() {
  const scheduler = new VirtualTimeScheduler();
  const broker = new TestBroker({ scheduler });
  const frames: string[] = [];
  const connection$ = broker.connect({ trace: (line) => frames.push(line) });
  return { broker, frames, connection$, run: () => scheduler.flush() };
}

function collect<T>(stream: Observable<T>) {
  const values: T[] = [];
  const log: string[] = [];
  stream.subscribe({ next: (v) => values.push(v), error: (e: unknown) => log.push(`error ${String(e)}`), complete: () => log.push('complete') });
  return { values, log };
}

const show = (r: SendResult | SendProgress): string =>
  r.state === 'received' ? `${String(r.message.body)}:received(${r.sectionNumber},${r.sectionOffset})` : `${String(r.message.body)}:${r.state}`;

describe('send: non-terminal states', () => {
  it('with nonTerminalStates, a message yields received (section, offset) before its outcome; without, outcomes only', () => {
    const { broker, connection$, run } = rig();
    const withStates = new Subject<Message>();
    const plain = new Subject<Message>();
    const a = collect(withStates.pipe(send(connection$, 'q', { nonTerminalStates: true })));
    const b = collect(plain.pipe(send(connection$, 'q')));
    run();
    const fault = broker.reportReceived('q');
    // 'x' has a properties section and an amqp-value (2 sections); 'y' the amqp-value only (1).
    withStates.next({ body: 'x', subject: 'with properties' });
    withStates.next({ body: 'y' });
    plain.next({ body: 'z' });
    run();
    expect(a.values.map(show)).toEqual(['x:received(2,0)', 'x:accepted', 'y:received(1,0)', 'y:accepted']);
    expect(a.values[0]).toMatchObject({ outcome: { type: 'received', sectionNumber: 2, sectionOffset: 0n } });
    expect(b.values.map(show)).toEqual(['z:accepted']);
    expect(broker.depth('q')).toBe(3);
    fault.unsubscribe();
    withStates.next({ body: 'w' });
    withStates.complete();
    run();
    expect(a.values.map(show).slice(4)).toEqual(['w:accepted']);
    expect(a.log).toEqual(['complete']);
  });

  it('take(n) after filter(isSendResult) counts outcomes; sendFrom reports states too', () => {
    const { broker, connection$, run } = rig();
    const source = new Subject<Message>();
    const out = collect(source.pipe(send(connection$, 'q', { nonTerminalStates: true }), filter(isSendResult), take(2)));
    run();
    broker.reportReceived('q');
    source.next({ body: 1 });
    source.next({ body: 2 });
    source.next({ body: 3 });
    run();
    expect(out.values.map(show)).toEqual(['1:accepted', '2:accepted']);
    expect(out.log).toEqual(['complete']);

    // The fault covers links attached later, and only the address it names.
    const pulled = collect(sendFrom(connection$, 'q', [{ body: 'p' }], { nonTerminalStates: true }));
    const elsewhere = collect(sendFrom(connection$, 'r', [{ body: 'e' }], { nonTerminalStates: true }));
    run();
    expect(pulled.values.map(show)).toEqual(['p:received(1,0)', 'p:accepted']);
    expect(elsewhere.values.map(show)).toEqual(['e:accepted']);
  });
});

describe('send: message format', () => {
  it('every transfer carries the given message-format; 0 by default', () => {
    const { connection$, frames, run } = rig();
    collect(from<Message[]>([{ body: 'vendor' }]).pipe(send(connection$, 'q', { messageFormat: 0x80013700 })));
    collect(from<Message[]>([{ body: 'plain' }]).pipe(send(connection$, 'q')));
    run();
    const transfers = frames.filter((line) => line.includes('-> @transfer'));
    expect(transfers).toHaveLength(2);
    expect(transfers.filter((line) => line.includes('message-format=2147563264'))).toHaveLength(1);
    expect(transfers.filter((line) => line.includes('message-format=0'))).toHaveLength(1);
  });

  it('a message format outside 0..2^32-1 fails at the call, naming the option', () => {
    const { connection$ } = rig();
    expect(() => send(connection$, 'q', { messageFormat: -1 })).toThrow(/send: options.messageFormat/);
    expect(() => send(connection$, 'q', { messageFormat: 2 ** 32 })).toThrow(/options.messageFormat/);
    expect(() => sendFrom(connection$, 'q', [], { nonTerminalStates: 'yes' as never })).toThrow(/sendFrom: options.nonTerminalStates/);
  });
});
