import { describe, expect, it } from 'vitest';
import { AmqpError } from '../errors/amqp-error.js';
import { ChannelInput } from './channel-input.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('ChannelInput', () => {
  it('replays what was pushed before the subscription, then delivers live, then completes', () => {
    const input = new ChannelInput();
    input.push(bytes(1));
    input.push(bytes(2));
    const seen: string[] = [];
    input.observable.subscribe({ next: (c) => seen.push(`next ${c[0]}`), complete: () => seen.push('complete') });
    input.push(bytes(3));
    input.complete();
    input.push(bytes(4));
    expect(seen).toEqual(['next 1', 'next 2', 'next 3', 'complete']);
    expect(input.isTerminated).toBe(true);
  });

  it('fails instead of holding more than maxHeldBytes for a reader not there yet (a source that cannot pause)', () => {
    const input = new ChannelInput({ maxHeldBytes: 4 });
    input.push(bytes(1, 2, 3));
    input.push(bytes(4, 5));
    input.push(bytes(6));
    const seen: unknown[] = [];
    input.observable.subscribe({ next: (c) => seen.push(c.length), error: (e: unknown) => seen.push(e) });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ code: 'ENOBUFS' });
  });

  it('replays an error that happened before the subscription, after the held chunks', () => {
    const input = new ChannelInput();
    const failure = new Error('reset');
    input.push(bytes(1));
    input.error(failure);
    input.complete(); // ignored: the first end wins
    const seen: unknown[] = [];
    input.observable.subscribe({ next: (c) => seen.push(c[0]), error: (e: unknown) => seen.push(e) });
    expect(seen).toEqual([1, failure]);
  });

  it('keeps order when a chunk is pushed while held chunks are being replayed', () => {
    const input = new ChannelInput();
    input.push(bytes(1));
    input.push(bytes(2));
    const seen: number[] = [];
    input.observable.subscribe((c) => {
      seen.push(c[0]!);
      if (c[0] === 1) input.push(bytes(3));
    });
    input.push(bytes(4));
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('tells the source when reading starts and stops, and accepts one subscriber only', () => {
    const calls: string[] = [];
    const input = new ChannelInput({ onSubscribe: () => calls.push('start'), onUnsubscribe: () => calls.push('stop') });
    const subscription = input.observable.subscribe();
    let second: unknown;
    input.observable.subscribe({ error: (e: unknown) => (second = e) });
    subscription.unsubscribe();
    input.push(bytes(1)); // nobody reads: dropped, no error
    expect(calls).toEqual(['start', 'stop']);
    expect(second).toBeInstanceOf(AmqpError);
  });

  it('does not call onUnsubscribe after the input ended by itself', () => {
    const calls: string[] = [];
    const input = new ChannelInput({ onUnsubscribe: () => calls.push('stop') });
    const subscription = input.observable.subscribe();
    input.complete();
    subscription.unsubscribe();
    expect(calls).toEqual([]);
  });
});
