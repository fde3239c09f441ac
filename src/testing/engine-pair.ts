/**
 * A client and a server engine wired back to back in memory, with time
 * advanced by hand (h11's ConnectionPair). `pump()` moves bytes both ways
 * until neither side has anything to say; `advance(ms)` moves the clock,
 * ticks both engines and pumps. When one side finishes, the other sees the
 * transport end (feedEof), as it would over a socket.
 *
 * Responders (go-amqp's fake peer) let a test react to events while pumping,
 * e.g. `answerAttaches('server')` makes the server accept every link.
 */
import { Engine } from '../engine/engine.js';
import type { EngineEvent, EngineEventType, LinkAttachedEvent, LinkId, SessionId } from '../engine/events.js';
import type { AttachOptions, EngineOptions } from '../engine/options.js';

/** Which engine of an {@link EnginePair}: the client (which sends its protocol header first) or the server. */
export type Side = 'client' | 'server';
/** A reaction to an event one engine of an {@link EnginePair} reported while pumping (go-amqp's fake peer responders): it may call the engine's commands. */
export type Responder = (event: EngineEvent, engine: Engine, side: Side) => void;

/** An {@link EnginePair}'s engines (each side's options over the defaults) and the clock's start. */
export interface EnginePairOptions {
  /** The client engine's options, over the pair's defaults (container id `client`). Default none. */
  readonly client?: Partial<EngineOptions>;
  /** The server engine's options, over the pair's defaults (container id `server`). Default none. */
  readonly server?: Partial<EngineOptions>;
  /** The clock's start, in ms. Default 0. */
  readonly now?: number;
  /** Keep every chunk moved, in order (for replay and fuzzing). Default false. */
  readonly capture?: boolean;
}

/** One chunk moved between the engines. */
export interface CapturedChunk {
  readonly from: Side;
  readonly bytes: Uint8Array;
}

const MAX_PUMP_ROUNDS = 100_000;

/** A client and a server engine wired back to back in memory, with time moved by hand (h11's ConnectionPair): `pump()` moves bytes both ways until both are quiet, `advance(ms)` moves the clock, ticks and pumps. For tests of the engine itself, with no RxJS. */
export class EnginePair {
  readonly client: Engine;
  readonly server: Engine;
  now: number;
  /** Events seen while pumping and not yet taken. */
  readonly events: Record<Side, EngineEvent[]> = { client: [], server: [] };
  readonly captured: CapturedChunk[] = [];
  private readonly capture: boolean;
  private readonly responders: Responder[] = [];
  private eofSent: Record<Side, boolean> = { client: false, server: false };

  constructor(options: EnginePairOptions = {}) {
    this.now = options.now ?? 0;
    this.capture = options.capture ?? false;
    this.client = new Engine({ role: 'client', containerId: 'client', hostname: 'localhost', ...options.client });
    this.server = new Engine({ role: 'server', containerId: 'server', ...options.server });
  }

  engine(side: Side): Engine {
    return side === 'client' ? this.client : this.server;
  }

  /** Calls `responder` for every event while pumping (before the event is stored). */
  respond(responder: Responder): this {
    this.responders.push(responder);
    return this;
  }

  /** Makes `side` answer every link the peer attaches, mirroring its terminus. */
  answerAttaches(side: Side, extra: Partial<AttachOptions> = {}): this {
    return this.respond((event, engine, at) => {
      if (at !== side || event.type !== 'link-attached' || event.initiator !== 'remote') return;
      // The peer may have detached it already (events are handled after the whole input).
      if (engine.link(event.link)?.state !== 'attach-rcvd') return;
      const a = event.attach;
      engine.attach(event.session, {
        name: a.name,
        role: a.role === 'sender' ? 'receiver' : 'sender',
        source: a.source,
        target: a.target,
        sndSettleMode: a.sndSettleMode,
        rcvSettleMode: a.rcvSettleMode,
        ...extra,
      });
    });
  }

  /** Moves bytes both ways until quiet. Returns the number of bytes moved. */
  pump(): number {
    let moved = 0;
    for (let round = 0; round < MAX_PUMP_ROUNDS; round++) {
      let active = this.drainEvents('client') + this.drainEvents('server');
      const c = this.client.takeOutput();
      if (c !== undefined) {
        if (this.capture) this.captured.push({ from: 'client', bytes: c });
        this.server.feed(c, this.now);
        moved += c.length;
        active++;
      }
      const s = this.server.takeOutput();
      if (s !== undefined) {
        if (this.capture) this.captured.push({ from: 'server', bytes: s });
        this.client.feed(s, this.now);
        moved += s.length;
        active++;
      }
      active += this.propagateEof('client') + this.propagateEof('server');
      active += this.drainEvents('client') + this.drainEvents('server');
      if (active === 0) return moved;
    }
    throw new Error(`EnginePair.pump: no quiet after ${MAX_PUMP_ROUNDS} rounds`);
  }

  /** Moves the clock by `ms`, ticks both engines, pumps. */
  advance(ms: number): void {
    this.now += ms;
    this.client.tick(this.now);
    this.server.tick(this.now);
    this.pump();
  }

  /** Advances in steps of `step` ms up to `ms`, ticking at every step (a driver re-arming its timer). */
  advanceBy(ms: number, step: number): void {
    for (let t = 0; t < ms; t += step) this.advance(Math.min(step, ms - t));
  }

  /** Takes (and clears) the stored events of one side, optionally of one type. */
  take<T extends EngineEventType>(side: Side, type?: T): Extract<EngineEvent, { type: T }>[] {
    const all = this.events[side];
    if (type === undefined) {
      this.events[side] = [];
      return all as Extract<EngineEvent, { type: T }>[];
    }
    const picked = all.filter((e) => e.type === type) as Extract<EngineEvent, { type: T }>[];
    this.events[side] = all.filter((e) => e.type !== type);
    return picked;
  }

  /** The stored events of one side of one type, without taking them. */
  peek<T extends EngineEventType>(side: Side, type: T): Extract<EngineEvent, { type: T }>[] {
    return this.events[side].filter((e) => e.type === type) as Extract<EngineEvent, { type: T }>[];
  }

  /** Opens both ends and pumps. */
  open(): void {
    this.client.open();
    this.server.open();
    this.pump();
  }

  /** Opens, begins a session from the client, and returns both ends' session ids. */
  openSession(): { client: SessionId; server: SessionId } {
    if (this.client.state === 'start' || this.client.state === 'hdr-sent') this.open();
    const client = this.client.beginSession();
    this.pump();
    const begun = this.take('server', 'session-begun');
    const last = begun[begun.length - 1];
    if (last === undefined) throw new Error('EnginePair.openSession: the server saw no begin');
    this.take('client', 'session-begun');
    return { client, server: last.session };
  }

  /**
   * Attaches a link from the client (sender or receiver) and answers it on
   * the server. Returns both ends' link ids and the server's attach event.
   */
  attachLink(
    session: { client: SessionId; server: SessionId },
    client: AttachOptions,
    server: Partial<AttachOptions> = {},
  ): { client: LinkId; server: LinkId; attached: LinkAttachedEvent } {
    const clientLink = this.client.attach(session.client, client);
    this.pump();
    const attached = this.take('server', 'link-attached').find((e) => e.attach.name === client.name);
    if (attached === undefined) throw new Error(`EnginePair.attachLink: the server saw no attach for ${client.name}`);
    const a = attached.attach;
    this.server.attach(attached.session, {
      name: a.name,
      role: a.role === 'sender' ? 'receiver' : 'sender',
      source: a.source,
      target: a.target,
      sndSettleMode: a.sndSettleMode,
      rcvSettleMode: a.rcvSettleMode,
      ...server,
    });
    this.pump();
    this.take('client', 'link-attached');
    return { client: clientLink, server: attached.link, attached };
  }

  private drainEvents(side: Side): number {
    const engine = this.engine(side);
    let n = 0;
    for (let e = engine.nextEvent(); e !== undefined; e = engine.nextEvent()) {
      n++;
      for (const r of this.responders) r(e, engine, side);
      this.events[side].push(e);
    }
    return n;
  }

  private propagateEof(side: Side): number {
    if (this.eofSent[side] || !this.engine(side).isFinished) return 0;
    this.eofSent[side] = true;
    this.engine(side === 'client' ? 'server' : 'client').feedEof(this.now);
    return 1;
  }
}
