/**
 * Changing a receiver's filter at run time (issue 18, item 4):
 * `switchMap` over an Observable of selectors, each receive() with one link
 * name, so each new link attaches only after the last one has let go of
 * its deliveries (its grace, settleTimeout) and its detach was answered.
 * Checked at the real broker (selectors, queue depth, each settlement): no
 * message is lost, none is accepted twice, none is in the application's
 * hands twice at once.
 */
import { describe, expect, it } from 'vitest';
import { map, Subject, switchMap, tap, timer } from 'rxjs';
import type { MessageQueue } from '../../broker/queue.js';
import { networkRig, collect, type NetworkRig } from '../../testing/network-rig.spec-helper.js';
import { consume } from './consume.js';
import { DeliveryError, type Delivery } from './delivery.js';
import { receive } from './receive.js';

const COLOURS = ['red', 'green', 'blue'] as const;

/** `count` messages on `orders`, body n, colour red/green/blue in turn. */
function fill(r: NetworkRig, count: number): MessageQueue {
  const queue = r.broker.registry.lookup('orders', 'queue');
  for (let n = 0; n < count; n++) queue.put({ body: n, applicationProperties: { colour: COLOURS[n % 3]! } });
  return queue;
}

const colourOf = (n: number): string => COLOURS[n % 3]!;

/** The client's link frames for `name`, in order: attach out, detach out, detach in. */
function linkFrames(frames: string[], name: string): string[] {
  return frames.flatMap((line) => {
    if (line.includes('-> @attach') && line.includes(`name="${name}`)) return ['attach'];
    if (line.includes('-> @detach')) return ['detach'];
    if (line.includes('<- @detach')) return ['detached'];
    return [];
  });
}

describe('switchMap over selectors: a receiver whose filter changes at run time', () => {
  it('each message is handled once, under the selector it matched; the rest stay queued; links follow each other', () => {
    const r = networkRig();
    const queue = fill(r, 30);
    const frames: string[] = [];
    const connection$ = r.connect({ trace: (line) => frames.push(line) });
    const selectors = new Subject<string>();
    const handled: { selector: string; n: number }[] = [];
    const out = collect(
      selectors.pipe(
        switchMap((selector) =>
          receive(connection$, 'orders', { name: 'orders-view', selector, prefetch: 4 }).pipe(
            // Five virtual ms of work each, two at a time; a switch unsubscribes those under way and releases them.
            consume((d: Delivery) => timer(5, r.scheduler).pipe(map(() => d.message.body as number)), { concurrency: 2 }),
            tap((n) => handled.push({ selector, n })),
          ),
        ),
      ),
    );
    selectors.next("colour = 'red'");
    r.run(23);
    selectors.next("colour = 'green'");
    r.run(33);
    selectors.next("colour IN ('red', 'blue')");
    r.run();
    expect(out.log).toEqual([]);

    const seen = handled.map((h) => h.n);
    expect(new Set(seen).size).toBe(seen.length);
    for (const { selector, n } of handled) expect(selector).toContain(`'${colourOf(n)}'`);
    // At the broker: accepted once each, exactly the ones handled; nothing else taken; every red and blue one consumed in the end.
    const accepted = r.settled.filter((s) => s.endsWith(' accepted')).map((s) => Number(s.split(' ')[1]));
    expect(new Set(accepted).size).toBe(accepted.length);
    expect([...accepted].sort((a, b) => a - b)).toEqual([...seen].sort((a, b) => a - b));
    const redBlue = Array.from({ length: 30 }, (_, n) => n).filter((n) => colourOf(n) !== 'green');
    for (const n of redBlue) expect(seen).toContain(n);
    expect(queue.stats().depth).toBe(30 - accepted.length);
    expect(queue.stats().acquired).toBe(0);
    // Some green were handled during the green phase and the rest are still there.
    expect(seen.filter((n) => colourOf(n) === 'green').length).toBeGreaterThan(0);
    expect(queue.stats().depth).toBeGreaterThan(0);
    // Each new link attached after the last one's detach was answered.
    expect(linkFrames(frames, 'orders-view')).toEqual(['attach', 'detach', 'detached', 'attach', 'detach', 'detached', 'attach']);
    out.subscription.unsubscribe();
  });

  it('deliveries still in hand: the new link waits for their grace (settleTimeout, longer than closeTimeout), then gets those released', () => {
    const r = networkRig();
    fill(r, 6);
    const connection$ = r.connect();
    const selectors = new Subject<string>();
    const inHand: Delivery[] = [];
    const out = collect(
      selectors.pipe(
        switchMap((selector) =>
          receive(connection$, 'orders', { name: 'view', selector, autoAccept: false, prefetch: 2, settleTimeout: 8000 }).pipe(map((d) => ({ selector, d }))),
        ),
      ),
    );
    selectors.next("colour = 'red'");
    r.run();
    out.values.forEach((v) => inHand.push(v.d));
    expect(out.values.map((v) => v.d.message.body)).toEqual([0, 3]);
    // Switch with both red ones unsettled: the old link keeps them for settleTimeout (8 s, beyond closeTimeout's 5 s).
    const switchedAt = r.scheduler.now();
    selectors.next("colour IN ('red', 'green')");
    r.run(switchedAt + 7999);
    expect(out.values).toHaveLength(2);
    expect(out.log).toEqual([]);
    r.run();
    // Released after 8 s: settling one now is an error; the new link received them again, and the green ones.
    expect(() => inHand[0]!.accept()).toThrow(DeliveryError);
    expect(out.values.slice(2).map((v) => v.d.message.body)).toEqual([0, 1]);
    expect(out.log).toEqual([]);
    out.subscription.unsubscribe();
  });

  it('deliveries settled within the grace: the old link detaches at once and the new one attaches then', () => {
    const r = networkRig();
    const queue = fill(r, 6);
    const connection$ = r.connect();
    const selectors = new Subject<string>();
    const out = collect(
      selectors.pipe(switchMap((selector) => receive(connection$, 'orders', { name: 'view', selector, autoAccept: false, prefetch: 2, settleTimeout: 8000 }))),
    );
    selectors.next("colour = 'red'");
    r.run(10);
    const held = [...out.values];
    selectors.next("colour = 'green'");
    r.run(100);
    expect(out.values).toHaveLength(2);
    for (const d of held) d.accept();
    r.run(120);
    expect(out.values.slice(2).map((d) => d.message.body)).toEqual([1, 4]);
    expect(r.settled.filter((s) => s.startsWith('orders ')).slice(0, 2)).toEqual(['orders 0 accepted', 'orders 3 accepted']);
    expect(queue.stats().depth).toBe(4);
    out.subscription.unsubscribe();
  });
});
