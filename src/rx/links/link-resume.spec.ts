/**
 * Durable link recovery (Part 2 §2.6.13), both directions, against the real
 * broker (and, for a sender, a listen() peer that keeps producer state) on an
 * in-memory network in virtual time:
 *
 * - a durable subscription whose connection is lost (or whose link the peer
 *   detaches) while the application holds deliveries: the next link's
 *   attach lists them — with the outcome given meanwhile, or null — and the
 *   broker, which kept them for the link name, settles those with an
 *   outcome and resumes the others, which are not emitted again;
 * - a durable sender whose messages were in flight: the next link's attach
 *   lists their tags, and the peer's map decides: an outcome is the result
 *   (not sent again), no outcome resumes it (resume=true, same tag), absent
 *   sends it again as new.
 */
import { describe, expect, it } from 'vitest';
import { from, Subject } from 'rxjs';
import type { Topic } from '../../broker/topic.js';
import { networkRig, collect, type NetworkRig } from '../../testing/network-rig.spec-helper.js';
import { Container } from '../container.js';
import { DeliveryError, type Delivery } from './delivery.js';
import type { IncomingLink } from '../server/incoming.js';
import type { Message } from './message.js';
import { receive } from './receive.js';
import { send } from './send.js';
import { resumeDeliveries } from './link-resume.js';
import { tagKey } from './unsettled-map.js';

const SUBSCRIPTION = { name: 'sub-1', durable: true, capabilities: ['topic'], autoAccept: false, resume: resumeDeliveries } as const;

function publish(r: NetworkRig, count: number): Topic {
  const topic = r.broker.registry.lookup('news', 'topic');
  for (let n = 0; n < count; n++) topic.publish({ body: n });
  return topic;
}

function frames(lines: string[], pattern: RegExp): string[] {
  return lines.filter((line) => pattern.test(line));
}

describe('a durable subscription across a lost link', () => {
  it('deliveries held or settled while the connection was down are settled or resumed, not delivered again', () => {
    const r = networkRig();
    const trace: string[] = [];
    const connection$ = r.connect({ reconnect: { delay: 10 }, trace: (line) => trace.push(line) }, 'client-1');
    const held = collect(receive(connection$, 'news', SUBSCRIPTION));
    r.run();
    publish(r, 5);
    r.run();
    const [d0, d1, d2, d3, d4] = held.values as Delivery[];
    expect(held.values.map((d) => d.message.body)).toEqual([0, 1, 2, 3, 4]);
    d0!.accept();
    r.run();
    // The connection breaks with four deliveries unsettled.
    r.channels[0]!.breakConnection();
    r.run(r.scheduler.now() + 5);
    expect(r.broker.durableLinks.size).toBe(4);
    // Down: settling is not an error, the outcome waits for the next attach.
    d1!.accept();
    d2!.reject({ condition: 'app:bad', description: 'no' });
    r.run();
    // Reconnected: our attach listed the four, the broker settled two and resumed two.
    const attaches = frames(trace, /-> @attach.*name="sub-1"/);
    expect(attaches).toHaveLength(2);
    expect(attaches[1]).toMatch(/unsettled=\{/);
    expect(frames(trace, /<- @transfer.*resume=true/)).toHaveLength(2);
    expect(held.values).toHaveLength(5);
    d3!.accept();
    d4!.release();
    r.run();
    expect(r.settled).toEqual(['news 0 accepted', 'news 1 accepted', 'news 2 rejected', 'news 3 accepted', 'news 4 released']);
    // Released: back in the subscription, and delivered again, as a new delivery.
    expect(held.values.map((d) => d.message.body)).toEqual([0, 1, 2, 3, 4, 4]);
    held.values[5]!.accept();
    r.run();
    expect(r.settled.at(-1)).toBe('news 4 accepted');
    expect(r.broker.durableLinks.size).toBe(0);
    expect(held.log).toEqual([]);
    held.subscription.unsubscribe();
  });

  it('a link the broker detaches (detach-forced, recovered on the same connection) keeps its deliveries too', () => {
    const r = networkRig();
    const connection$ = r.connect({}, 'client-2');
    const held = collect(receive(connection$, 'news', { ...SUBSCRIPTION, recover: { delay: 10 } }));
    r.run();
    publish(r, 2);
    r.run();
    expect(r.broker.faults.detach({ name: 'sub-1' }, { condition: 'amqp:link:detach-forced', description: 'idle' })).toBe(1);
    r.run(r.scheduler.now() + 1);
    for (const d of held.values) d.accept();
    r.run();
    expect(held.values).toHaveLength(2);
    expect(r.settled).toEqual(['news 0 accepted', 'news 1 accepted']);
    expect(held.log).toEqual([]);
    held.subscription.unsubscribe();
  });

  it('without resume nothing is carried: settling after the loss is a DeliveryError, and the broker delivers it again', () => {
    const r = networkRig();
    const connection$ = r.connect({ reconnect: { delay: 10 } }, 'client-3');
    const { resume: _resume, ...withoutResume } = SUBSCRIPTION;
    const held = collect(receive(connection$, 'news', { ...withoutResume, name: 'plain' }));
    r.run();
    publish(r, 1);
    r.run();
    r.channels[0]!.breakConnection();
    r.run(r.scheduler.now() + 5);
    expect(() => held.values[0]!.accept()).toThrow(DeliveryError);
    r.run();
    // The broker kept it for the link name; attached again with no map, it went back and came again as new.
    expect(held.values.map((d) => d.message.body)).toEqual([0, 0]);
    expect(r.broker.durableLinks.size).toBe(0);
    held.subscription.unsubscribe();
  });

  it('resume needs a durable link, and takes resumeDeliveries only', () => {
    const r = networkRig();
    const c$ = r.connect();
    expect(() => receive(c$, 'news', { resume: resumeDeliveries })).toThrow(/receive: options.resume: expected resumeDeliveries, on a durable link/);
    expect(() => send(c$, 'q', { resume: resumeDeliveries })).toThrow(/send: options.resume: expected resumeDeliveries, on a durable link/);
    expect(() => receive(c$, 'news', { durable: true, name: 'x', resume: true as never })).toThrow(/expected resumeDeliveries/);
  });

  it('held deliveries the broker no longer has (it restarted, or sends no map) are gone; they come again as new', () => {
    const r = networkRig();
    const connection$ = r.connect({ reconnect: { delay: 10 } }, 'client-4');
    const held = collect(receive(connection$, 'news', SUBSCRIPTION));
    r.run();
    publish(r, 1);
    r.run();
    r.channels[0]!.breakConnection();
    r.run(r.scheduler.now() + 5);
    // The broker lets go of what it kept (as a restarted one has nothing), releasing it to the subscription.
    r.broker.durableLinks.releaseAll();
    r.run();
    expect(() => held.values[0]!.accept()).toThrow(DeliveryError);
    expect(held.values.map((d) => d.message.body)).toEqual([0, 0]);
    held.values[1]!.accept();
    r.run();
    expect(r.settled).toEqual(['news 0 accepted']);
    held.subscription.unsubscribe();
  });
});

describe('a durable sender across a lost link', () => {
  /** A peer keeping producer state: a listen() server on the rig's network, whose links the test answers. */
  function peer(r: NetworkRig) {
    const links = new Subject<IncomingLink>();
    const server = new Container({ id: 'peer', platform: { connect: r.network.connect, listen: r.network.listen }, scheduler: r.scheduler });
    server.listen({ host: 'peer', port: 5672 }).subscribe((connection) => connection.links$.subscribe((link) => links.next(link)));
    return links;
  }

  it("the peer's unsettled map decides each message in flight: its outcome, a resume, or sent again as new", () => {
    const r = networkRig();
    const links = peer(r);
    const got: { link: number; body: unknown; tag: string }[] = [];
    const firstTags: Uint8Array[] = [];
    let round = 0;
    let peerMap: [string, unknown][] = [];
    links.subscribe((link) => {
      const n = ++round;
      const attach = link.attach;
      if (n === 2) peerMap = [...(attach.unsettled ?? new Map())].map(([tag, state]) => [tagKey(tag), state]);
      // The first link: an empty map (we keep link state). The second: the first message had its outcome,
      // the second is to be resumed, the third is unknown here.
      const unsettled =
        n === 1
          ? new Map<Uint8Array, null>()
          : new Map<Uint8Array, { type: 'accepted' } | null>([
              [firstTags[0]!, { type: 'accepted' }],
              [firstTags[1]!, null],
            ]);
      link.receive({ autoAccept: n > 1, unsettled }).subscribe({
        next: (d) => {
          if (n === 1) firstTags.push(d.tag);
          got.push({ link: n, body: d.message.body, tag: tagKey(d.tag) });
        },
        error: () => undefined, // the first link goes with its connection
      });
    });
    const trace: string[] = [];
    const connection$ = r.connect({ reconnect: { delay: 10 }, trace: (line) => trace.push(line) }, 'producer', 'amqp://peer:5672');
    const results = collect(
      from<Message[]>([{ body: 'a' }, { body: 'b' }, { body: 'c' }]).pipe(send(connection$, 'q', { durable: true, name: 'p-1', resume: resumeDeliveries })),
    );
    r.run();
    // The first link took the three and settled none; the connection breaks.
    expect(got.map((g) => g.body)).toEqual(['a', 'b', 'c']);
    r.channels[0]!.breakConnection();
    r.run();
    // Our attach listed the three tags, with no state.
    expect(peerMap).toEqual(firstTags.map((t) => [tagKey(t), null]));
    // 'a' had its outcome: not sent again. 'b' resumed with its tag; 'c' sent again as a new delivery (a new tag).
    const second = got.filter((g) => g.link === 2);
    expect(second.map((g) => g.body)).toEqual(['b', 'c']);
    expect(second[0]!.tag).toBe(tagKey(firstTags[1]!));
    expect(second[1]!.tag).not.toBe(tagKey(firstTags[2]!));
    expect(frames(trace, /-> @transfer.*resume=true/)).toHaveLength(1);
    expect(results.values.map((x) => `${String(x.message.body)}:${x.state}`).sort()).toEqual(['a:accepted', 'b:accepted', 'c:accepted']);
    expect(results.log).toEqual(['complete']);
  });

  it('a peer that never answered with a map is never sent ours (RabbitMQ 3.10 ends the session on one): what was in flight goes again as new', () => {
    const r = networkRig();
    const links = peer(r);
    const got: { link: number; body: unknown }[] = [];
    let secondAttach: IncomingLink | undefined;
    let round = 0;
    links.subscribe((link) => {
      const n = ++round;
      if (n === 2) secondAttach = link;
      link.receive({ autoAccept: n > 1 }).subscribe({ next: (d) => got.push({ link: n, body: d.message.body }), error: () => undefined });
    });
    const connection$ = r.connect({ reconnect: { delay: 10 } }, 'producer-2', 'amqp://peer:5672');
    const results = collect(
      from<Message[]>([{ body: 'x' }, { body: 'y' }]).pipe(send(connection$, 'q', { durable: true, name: 'p-2', resume: resumeDeliveries })),
    );
    r.run();
    r.channels[0]!.breakConnection();
    r.run();
    expect(secondAttach!.attach.unsettled).toBeUndefined();
    expect(got).toEqual([
      { link: 1, body: 'x' },
      { link: 1, body: 'y' },
      { link: 2, body: 'x' },
      { link: 2, body: 'y' },
    ]);
    expect(results.values.map((x) => x.state)).toEqual(['accepted', 'accepted']);
  });
});

describe('a durable subscription on a peer that keeps no link state', () => {
  it('is not sent our map; the deliveries held are gone with the link', () => {
    const r = networkRig();
    const attaches: IncomingLink[] = [];
    const server = new Container({ id: 'plain-peer', platform: { connect: r.network.connect, listen: r.network.listen }, scheduler: r.scheduler });
    server.listen({ host: 'plain', port: 5672 }).subscribe((connection) =>
      connection.links$.subscribe((link) => {
        attaches.push(link);
        // Answers a durable source as a peer that keeps nothing: no map, and no resume.
        from<Message[]>([{ body: `m${attaches.length}` }])
          .pipe(link.send())
          .subscribe({ error: () => undefined });
      }),
    );
    const connection$ = r.connect({ reconnect: { delay: 10 } }, 'client-5', 'amqp://plain:5672');
    const held = collect(receive(connection$, 'news', SUBSCRIPTION));
    r.run();
    expect(held.values.map((d) => d.message.body)).toEqual(['m1']);
    r.channels[0]!.breakConnection();
    r.run();
    expect(attaches).toHaveLength(2);
    expect(attaches[1]!.attach.unsettled).toBeUndefined();
    expect(() => held.values[0]!.accept()).toThrow(DeliveryError);
    expect(held.values.map((d) => d.message.body)).toEqual(['m1', 'm2']);
    held.subscription.unsubscribe();
  });
});
