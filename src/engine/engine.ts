/**
 * The sans-IO AMQP 1.0 protocol engine: one instance per connection, the same
 * code for client and server (h11's Connection, Proton's connection driver).
 *
 *   engine.feed(bytes, now)   bytes in; parses and queues events and output
 *   engine.feedEof(now)       the transport's read side ended
 *   engine.tick(now)          idle-time-out checks and keepalives; returns the next deadline
 *   engine.takeOutputChunks() all bytes to write, as chunks for one vectored write
 *   engine.takeOutput()       the same as one buffer (copied when there are several chunks)
 *   engine.nextEvent()        events, one at a time
 *   commands                  open, close, beginSession, attach, flow, send, dispose ...
 *
 * It owns no socket, timer or clock: time is the `now` (milliseconds) passed
 * in, and a deadline at or before the current time means "call tick now".
 *
 * Errors: feed(), feedEof() and tick() never throw. A peer that breaks the
 * protocol gets a close (or end, or detach) with the fitting condition and
 * the caller a `protocol-error` event; after a connection-level failure the
 * engine stops reading and writing, and every later command throws.
 * Commands called wrongly throw {@link LocalProtocolError} and change nothing.
 *
 * Layers inside: protocol headers and SASL (read byte by byte until the AMQP
 * header is exchanged), then frames from the FrameReader: open/close here,
 * begin/end, session windows, dispositions and the routing of link frames in
 * session.ts, each link's rules in sender-link.ts and receiver-link.ts (what
 * both roles share in link.ts). A link command goes straight to its link.
 */
import { Writer } from '../codec/writer.js';
import { AmqpError, Condition } from '../errors/index.js';
// Frames by module, not through frames/index.js: a browser bundle splits by the files a static import reaches, and the
// barrel would reach describe.ts, which frame-tracer.browser.ts loads only when a connection traces.
import { FrameReader } from '../frames/frame-reader.js';
import { writeFrame, writeSaslFrame } from '../frames/frame-writer.js';
import {
  FRAME_TYPE_AMQP,
  FRAME_TYPE_SASL,
  type Attach,
  type Begin,
  type Close,
  type End,
  type Frame,
  type Open,
  type Performative,
  type SaslPerformative,
  type Transfer,
} from '../frames/types.js';
import { ConnectionError, fitError, fromLocalError, fromWireError, LocalProtocolError, ProtocolError, toWireError } from './errors.js';
import type { DeliveryId, EngineEvent, LinkId, SaslOutcomeEvent, SessionId } from './events.js';
import { frameTracer } from './frame-tracer.js';
import { FreeNumbers } from './free-numbers.js';
import { IdleTimer } from './idle-timer.js';
import { linkNameKey } from './link.js';
import {
  DEFAULT_CHANNEL_MAX,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_MAX_UNFINISHED_BYTES,
  MIN_IDLE_TIMEOUT_MS,
  MIN_MAX_FRAME_SIZE,
  type AttachOptions,
  type DeliveryRange,
  type DetachOptions,
  type DisposeOptions,
  type EndpointErrorInit,
  type EngineOptions,
  type FlowOptions,
  type SaslClientOptions,
  type SaslServerOptions,
  type SendOptions,
  type SessionOptions,
} from './options.js';
import { concatBytes } from '../codec/concat.js';
import { FrameOutput } from './output.js';
import { SaslClientNegotiation, type SaslResult, type SaslServer } from './sasl-negotiation.js';
import { createSaslServer } from './sasl-server-loader.js';
import { SaslError } from './sasl/sasl-error.js';
import type { SaslAnswer } from './sasl/types.js';
import { Session, type AnyLink, type SessionHost } from './session.js';
import type { FrameTracer } from './trace.js';
import type { SenderLink } from './sender-link.js';
import {
  CONNECTION_DISCARDS_INPUT,
  CONNECTION_PEER_OPEN,
  CONNECTION_TRANSITIONS,
  transition,
  type ConnectionInput,
  type ConnectionState,
  type LinkState,
} from './state.js';

/** 'AMQP' 0 1.0.0: the AMQP protocol header. */
export const AMQP_HEADER: Uint8Array = Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0);
/** 'AMQP' 3 1.0.0: the SASL protocol header. */
export const SASL_HEADER: Uint8Array = Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0);
const EMPTY_FRAME = Uint8Array.of(0, 0, 0, 8, 2, 0, 0, 0);
const EMPTY = new Uint8Array(0);
/** A drained event queue keeps at most this many slots. */
const MAX_KEPT_EVENT_SLOTS = 1024;

/** Where the input stands: a protocol header next, SASL frames, AMQP frames, or nothing more. */
type InputPhase = 'header' | 'sasl' | 'amqp' | 'closed';

/** A link's state as callers may read it. */
export interface LinkInfo {
  readonly id: LinkId;
  readonly sessionId: SessionId;
  readonly name: string;
  readonly role: 'sender' | 'receiver';
  readonly state: LinkState;
  /** Sender: deliveries we may send now. Receiver: deliveries the sender may still send. */
  readonly credit: number;
  readonly deliveryCount: number;
  /**
   * Receiver: deliveries whose first frame has arrived (mod 2^32), counted
   * when the input is parsed, before their events are taken; a drain leaves
   * it alone. Less the deliveries taken, it is what is still on its way to
   * the caller (queued as events, or arriving in pieces) under credit spent.
   */
  readonly deliveriesStarted: number;
  readonly available: number;
  readonly drain: boolean;
  readonly sndSettleMode: 'unsettled' | 'settled' | 'mixed';
  readonly rcvSettleMode: 'first' | 'second';
  readonly localAttach: Attach | undefined;
  readonly remoteAttach: Attach | undefined;
}

function isSaslClientOptions(o: SaslClientOptions | SaslServerOptions): o is SaslClientOptions {
  return 'credentials' in o;
}

function headerName(h: Uint8Array): string {
  const text = String.fromCharCode(...h);
  if (h.length === 8 && text.startsWith('AMQP')) return `AMQP ${h[4]} ${h[5]}.${h[6]}.${h[7]}`;
  // Text (an HTTP status line, a banner) reads better as text.
  return /^[\x20-\x7e]+$/.test(text) ? JSON.stringify(text) : `bytes ${Array.from(h, (b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}

/**
 * What a client should try when the peer answered our protocol header with
 * `received` (the common mistakes: a port that is not AMQP 1.0's, TLS on
 * one side only, SASL on one side only); undefined when nothing useful can
 * be said.
 */
function headerMismatchHint(received: Uint8Array, ours: Uint8Array): string | undefined {
  const text = String.fromCharCode(...received.subarray(0, 4));
  if (text.startsWith('HTTP')) return 'the peer speaks HTTP, not AMQP 1.0: check the port (AMQP over WebSocket needs a ws:// or wss:// URL)';
  if (received[0] === 0x15 || received[0] === 0x16) return 'the peer speaks TLS: use an amqps:// URL';
  if (text !== 'AMQP' || received.length < 8) return 'the peer does not speak AMQP 1.0 here: check the host and port';
  const [id, major, minor] = [received[4], received[5], received[6]];
  if (major !== 1 || minor !== 0) {
    return id === 0 && major === 0
      ? 'the peer speaks AMQP 0-9-1, not AMQP 1.0 (RabbitMQ 3: enable the rabbitmq_amqp1_0 plugin; its AMQP 1.0 port is the same 5672)'
      : 'the peer speaks another AMQP version, not 1.0';
  }
  if (id === 2) return 'the peer requires TLS first: use an amqps:// URL';
  if (id === 3 && ours[4] === 0) return 'the peer requires SASL authentication: leave sasl.enabled on';
  if (id === 0 && ours[4] === 3) return 'the peer does not use SASL: connect with sasl: { enabled: false }';
  return undefined;
}

function checkInteger(value: number | undefined, what: string, min: number, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
    throw new LocalProtocolError(Condition.InvalidField, `${what} must be an integer in ${min}..${max}, got ${value}`);
  }
}

/** The sans-IO AMQP 1.0 engine of one connection, client or server: bytes and the time go in (`feed`, `tick`), bytes, events and the next deadline come out (`takeOutputChunks`, `nextEvent`), and commands (`open`, `beginSession`, `attach`, `send`, `dispose`...) change its state. It owns no socket, timer or clock. */
export class Engine {
  readonly role: 'client' | 'server';
  private connState: ConnectionState = 'start';
  private readonly out = new FrameOutput();
  private readonly scratch = new Writer(256);
  /** Session frames written before our open (they must follow it on the wire). */
  private held: FrameOutput | undefined = new FrameOutput();
  /**
   * Queued events: `events[eventHead, eventTail)`. The array keeps its slots
   * when drained (indexes go back to 0): truncating it would free its backing
   * store, and the next event would allocate a new one, on every turn.
   */
  private events: (EngineEvent | undefined)[] = [];
  private eventHead = 0;
  private eventTail = 0;

  // input
  private phase: InputPhase = 'header';
  private pending: Uint8Array = EMPTY;
  private readonly reader: FrameReader;
  private readonly saslReader: FrameReader;
  private bytesIn = 0;
  private bytesTaken = 0;
  private lastNow = 0;

  // SASL
  private readonly saslClient: SaslClientNegotiation | undefined;
  /** A client's SASL options say the transport is TLS (for what to suggest when the peer hangs up at our header). */
  private readonly overTls: boolean;
  private readonly saslServer: SaslServer | undefined;
  private readonly requireSasl: boolean;
  private saslDone = false;
  /** A `sasl-request` was emitted and waits for answerSasl(). */
  private saslWaiting = false;

  // connection
  private amqpHeaderSent = false;
  private openRequested = false;
  private openSent = false;
  private closeRequested = false;
  private readonly localOpen: Open;
  private remoteOpenFrame: Open | undefined;
  private remoteMaxFrameSize = MIN_MAX_FRAME_SIZE;
  private remoteChannelMax = DEFAULT_CHANNEL_MAX;
  private localError: ConnectionError | undefined;
  private failure: AmqpError | undefined;
  private inputClosed = false;
  private outputClosed = false;
  private finished = false;
  private readonly idle = new IdleTimer();
  /** Our idle-time-out: close after this long without input (the open advertises half). */
  private readonly idleThreshold: number;
  private readonly trace: FrameTracer | undefined;

  // sessions and links
  private readonly sessions = new Map<SessionId, Session>();
  private readonly sessionsByLocalChannel: (Session | undefined)[] = [];
  /** Our channels not in use (the lowest goes to the next session). */
  private readonly freeChannels = new FreeNumbers();
  /** By the peer's channel: an array, as by ours, since every link frame looks its session up here (a Map's hashing showed in profiles). */
  private readonly sessionsByRemoteChannel: (Session | undefined)[] = [];
  private readonly links = new Map<LinkId, AnyLink>();
  /** Links by name and our role, across sessions (a name is unique per connection and direction, §2.6.1): no scan of sessions per attach. */
  private readonly linksByName = new Map<string, AnyLink>();
  /** Options of the sessions the peer begins. */
  private readonly peerSessions: SessionOptions;
  private nextSessionId = 1;
  /** Bytes of incoming deliveries arriving in pieces, over all sessions, and their bound. */
  private unfinishedBytes = 0;
  private readonly maxUnfinishedBytes: number;
  private nextLinkId = 1;
  /**
   * Sessions with frames to write at the next flush: `dirty[0, dirtyCount)`.
   * Two arrays take turns (flushAll swaps them) and keep their slots: a
   * receiver settling a message in every read must not allocate an array
   * and its backing store per read.
   */
  private dirty: (Session | undefined)[] = [];
  private dirtySpare: (Session | undefined)[] = [];
  private dirtyCount = 0;
  private readonly host: SessionHost;

  constructor(options: EngineOptions) {
    this.role = options.role;
    if (options.role !== 'client' && options.role !== 'server') {
      throw new LocalProtocolError(Condition.InvalidField, `role must be 'client' or 'server', got ${String(options.role)}`);
    }
    if (typeof options.containerId !== 'string') throw new LocalProtocolError(Condition.InvalidField, 'containerId is required');
    checkInteger(options.maxFrameSize, 'maxFrameSize', MIN_MAX_FRAME_SIZE, 0xffffffff);
    checkInteger(options.channelMax, 'channelMax', 0, 0xffff);
    checkInteger(options.idleTimeOut, 'idleTimeOut', 0, 0xffffffff);
    checkInteger(options.maxUnfinishedBytes, 'maxUnfinishedBytes', 0, Number.MAX_SAFE_INTEGER);
    if (options.idleTimeOut !== undefined && options.idleTimeOut > 0 && options.idleTimeOut < 2 * MIN_IDLE_TIMEOUT_MS) {
      throw new LocalProtocolError(
        Condition.InvalidField,
        `idleTimeOut must be 0 (none) or at least ${2 * MIN_IDLE_TIMEOUT_MS} ms (the open advertises half, and peers refuse less than ${MIN_IDLE_TIMEOUT_MS} ms), got ${options.idleTimeOut}`,
      );
    }
    const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.reader = new FrameReader(maxFrameSize);
    // Large transfer frames split across reads come as views: the session joins a message's frames anyway.
    this.reader.splitPayloads = true;
    this.saslReader = new FrameReader(maxFrameSize);
    this.trace = options.trace === undefined ? undefined : frameTracer(options.trace);
    this.peerSessions = options.peerSessions ?? {};
    this.maxUnfinishedBytes = options.maxUnfinishedBytes ?? DEFAULT_MAX_UNFINISHED_BYTES;
    this.idleThreshold = options.idleTimeOut !== undefined && options.idleTimeOut > 0 ? options.idleTimeOut : 0;
    this.localOpen = {
      type: 'open',
      containerId: options.containerId,
      hostname: options.role === 'client' ? options.hostname : undefined,
      maxFrameSize,
      channelMax: options.channelMax ?? DEFAULT_CHANNEL_MAX,
      // §2.4.5: advertise half the real threshold, so a peer keeping to the
      // advertised value (with its own half-period slack) never trips ours.
      idleTimeOut: this.idleThreshold > 0 ? Math.max(1, Math.floor(this.idleThreshold / 2)) : undefined,
      outgoingLocales: undefined,
      incomingLocales: undefined,
      offeredCapabilities: options.offeredCapabilities,
      desiredCapabilities: options.desiredCapabilities,
      properties: options.properties,
    };
    // Our open goes out before the peer's, when frames may be 512 bytes at most (Part 2 §2.4.1).
    const openSize = this.encodedSize(0, this.localOpen);
    if (openSize > MIN_MAX_FRAME_SIZE) {
      throw new LocalProtocolError(
        Condition.FrameSizeTooSmall,
        `our open frame would be ${openSize} bytes; before the peer's open a frame may have ${MIN_MAX_FRAME_SIZE} (fewer properties or capabilities)`,
      );
    }
    const sasl = options.sasl;
    if (sasl !== undefined && isSaslClientOptions(sasl) !== (options.role === 'client')) {
      throw new LocalProtocolError(
        Condition.InvalidField,
        `sasl options do not fit the ${options.role} role (a client gives credentials, a server an authenticator)`,
      );
    }
    this.saslClient = sasl !== undefined && isSaslClientOptions(sasl) ? new SaslClientNegotiation(sasl, options.hostname) : undefined;
    this.overTls = sasl !== undefined && isSaslClientOptions(sasl) && sasl.secure;
    this.saslServer = sasl !== undefined && !isSaslClientOptions(sasl) ? createSaslServer(sasl) : undefined;
    this.requireSasl = this.saslServer !== undefined && (options.requireSasl ?? true);
    this.host = this.makeHost();
    if (this.role === 'client') this.writeHeader(this.saslClient !== undefined ? SASL_HEADER : AMQP_HEADER);
  }

  // --- driver interface ------------------------------------------------------------------

  /**
   * The time (ms) given with the latest `feed`, `feedEof` or `tick`: while
   * the events of an input are handled, when that input arrived. What a
   * caller stamps a delivery with, instead of reading a clock per message.
   */
  get now(): number {
    return this.lastNow;
  }

  /** Bytes from the transport. The engine keeps views of them: do not reuse the buffer. */
  feed(bytes: Uint8Array, now: number): void {
    if (this.inputClosed || bytes.length === 0) return;
    this.lastNow = now;
    this.bytesIn += bytes.length;
    this.idle.input(now);
    try {
      if (this.phase === 'amqp') {
        this.reader.push(bytes);
        this.readFrames();
      } else {
        this.pending = this.pending.length === 0 ? bytes : concat(this.pending, bytes);
        this.readPreamble();
      }
      this.checkIdle(now);
    } catch (e) {
      this.fatal(e);
    }
  }

  /** The transport's read side closed. */
  feedEof(now: number): void {
    this.lastNow = now;
    if (this.inputClosed) return;
    this.inputClosed = true;
    const headerPhase = this.phase === 'header' && !this.saslDone;
    this.phase = 'closed';
    this.idle.disarm();
    if (this.failure === undefined && this.connState !== 'end') {
      if (this.closeRequested) {
        // We closed and the peer dropped the transport instead of answering: the close is done.
        this.connState = 'end';
        this.outputClosed = true;
        this.emit({ type: 'connection-closed', initiator: 'local', error: this.localError });
      } else {
        // A client whose peer hung up at our protocol header has most likely dialled the wrong kind of port.
        const unanswered = this.role === 'client' && headerPhase && this.pending.length === 0;
        const error = new ConnectionError(
          Condition.FramingError,
          !unanswered
            ? 'connection aborted: the transport closed before the peer sent close'
            : this.overTls
              ? 'connection aborted: the peer closed the TLS connection without answering the AMQP protocol header: ' +
                'does it require a client certificate (tls.cert and tls.key)? Otherwise it is not an AMQP 1.0 port'
              : 'connection aborted: the peer closed the connection without answering the AMQP protocol header: ' +
                'it is not an AMQP 1.0 port, or it expects TLS (amqps://) or WebSocket (ws://) there',
          { remote: true },
        );
        this.failure = error;
        this.outputClosed = true;
        this.emit({ type: 'connection-closed', initiator: 'remote', error });
      }
    }
    this.checkFinished();
  }

  /** Runs the idle-time-out checks at `now`; returns the next deadline (see {@link Engine.nextDeadline}). */
  tick(now: number): number | undefined {
    this.lastNow = now;
    if (this.outputClosed) return undefined;
    try {
      this.checkIdle(now);
    } catch (e) {
      this.fatal(e);
    }
    return this.nextDeadline();
  }

  /** When tick must be called next (a time at or before now means at once), or undefined when no timer runs. */
  nextDeadline(): number | undefined {
    if (this.outputClosed || this.inputClosed) return undefined;
    return this.idle.nextDeadline(this.lastNow);
  }

  /**
   * Everything queued for the transport, as one buffer, or undefined when
   * there is nothing. Joins the chunks of {@link Engine.takeOutputChunks} (a copy)
   * when there are several.
   */
  takeOutput(): Uint8Array | undefined {
    const chunks = this.takeOutputChunks();
    if (chunks === undefined) return undefined;
    return chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
  }

  /**
   * Everything queued for the transport, as chunks to write in order (one
   * vectored write), or undefined when there is nothing. The chunks are
   * views: of the engine's output slabs, which it never writes again (unless
   * told it may, by {@link Engine.outputWritten}), and, for large transfer payloads,
   * of the payloads given to `send`. The caller owns them and must not change
   * them.
   */
  takeOutputChunks(): Uint8Array[] | undefined {
    if (this.dirtyCount > 0) this.flushAll();
    const length = this.out.length;
    if (length === 0) {
      this.checkFinished();
      return undefined;
    }
    const chunks = this.out.take()!;
    // A frame larger than most (a big attach or SASL exchange) grew the scratch writer: do not keep that.
    this.scratch.reset();
    this.scratch.trim();
    this.bytesTaken += length;
    this.idle.output(this.lastNow, this.bytesTaken);
    this.checkFinished();
    return chunks;
  }

  /**
   * Tells the engine that every chunk taken so far has been written and none
   * is held any more (the socket handed the bytes to the OS), so it may write
   * its next output over the same memory: one slab, warm in the cache, instead
   * of a new one every few hundred round trips. Optional: an engine never told
   * so never reuses output memory.
   */
  outputWritten(): void {
    this.out.recycle();
  }

  /**
   * What this connection has yet to send, in bytes: output not taken yet,
   * and transfers waiting for the peer's session window. A server uses it
   * (with what its transport holds) to stop producing for a peer that does
   * not read.
   */
  /**
   * At least pendingOutputBytes(), in O(1) a session (queued transfers of
   * detached links or aborted deliveries count until they are skipped): what
   * a sender reads every few messages to bound what it hands the engine.
   */
  pendingOutputBytesBound(): number {
    let n = this.out.length;
    for (const session of this.sessions.values()) n += session.queuedBytesBound();
    return n;
  }

  pendingOutputBytes(): number {
    let n = this.out.length;
    for (const session of this.sessions.values()) n += session.queuedBytes();
    return n;
  }

  /** The next event, or undefined when there is none. */
  nextEvent(): EngineEvent | undefined {
    if (this.eventHead === this.eventTail) return undefined;
    const event = this.events[this.eventHead]!;
    this.events[this.eventHead++] = undefined;
    if (this.eventHead === this.eventTail) {
      this.eventHead = 0;
      this.eventTail = 0;
      // After a burst, let a large array go.
      if (this.events.length > MAX_KEPT_EVENT_SLOTS) this.events = [];
    }
    return event;
  }

  /** Both directions are closed (or failed) and all output has been taken: close the transport. */
  get isFinished(): boolean {
    return this.finished;
  }

  /** The error that ended the connection, if one did. */
  get error(): AmqpError | undefined {
    return this.failure;
  }

  /** Our max-frame-size: the largest frame the peer may send us. */
  get maxFrameSize(): number {
    return this.localOpen.maxFrameSize;
  }

  /** The peer's open, once received. */
  get remoteOpen(): Open | undefined {
    return this.remoteOpenFrame;
  }

  /** The connection's state (§2.4.6). */
  get state(): ConnectionState {
    return this.connState;
  }

  // --- commands: connection ------------------------------------------------------------

  /** Sends our open as soon as the protocol headers (and SASL) allow. */
  open(): void {
    this.assertUsable();
    if (this.openRequested) throw new LocalProtocolError(Condition.IllegalState, 'open() was already called');
    this.openRequested = true;
    if (this.amqpHeaderSent && !this.openSent) this.writeOpen();
  }

  /**
   * Answers the last `sasl-request` event: SASL goes on (or fails, when the
   * answer is an error or the mechanism rejects it). Throws when no request
   * is waiting.
   */
  answerSasl(answer: SaslAnswer): void {
    this.assertUsable();
    if (!this.saslWaiting) throw new LocalProtocolError(Condition.IllegalState, 'answerSasl: no SASL request is waiting for an answer');
    this.saslWaiting = false;
    try {
      this.saslStep(() => (this.saslClient !== undefined ? this.saslClient.resume(answer) : this.saslServer!.resume(answer)));
      // SASL may have ended: AMQP input that arrived meanwhile is read now.
      if (this.phase !== 'sasl' || this.pending.length > 0) this.readPreamble();
    } catch (error) {
      this.fatal(error);
    }
  }

  /** True while a `sasl-request` waits for {@link Engine.answerSasl}. */
  get awaitingSaslAnswer(): boolean {
    return this.saslWaiting;
  }

  /** Closes the connection, with an error if given. Before the AMQP header exchange, just ends the transport. */
  close(error?: EndpointErrorInit): void {
    this.assertUsable();
    this.assertEncodable(error);
    this.closeRequested = true;
    if (error !== undefined) this.localError = fromLocalError(ConnectionError, error);
    if (!this.openSent) {
      if (!this.amqpHeaderSent) {
        // No AMQP connection yet (SASL, or no header from the client): there is nobody to send close to.
        this.connState = 'end';
        this.inputClosed = true;
        this.outputClosed = true;
        this.phase = 'closed';
        this.emit({ type: 'connection-closed', initiator: 'local', error: this.localError });
        return;
      }
      this.held = undefined; // nothing begun before the open needs sending now
      this.writeOpen();
    }
    this.flushAll();
    this.writeClose(error === undefined ? undefined : toWireError(error), error !== undefined);
    this.idle.disarm();
  }

  // --- commands: sessions and links ------------------------------------------------------

  beginSession(options: SessionOptions = {}): SessionId {
    this.assertCanSend();
    const channel = this.freeChannel();
    const session = new Session(this.nextSessionId, channel, this.host, options);
    // Its begin first: one that cannot be sent (too large) leaves nothing behind.
    session.sendBegin();
    this.nextSessionId++;
    this.sessions.set(session.id, session);
    this.sessionsByLocalChannel[this.freeChannels.takeLowest()] = session;
    return session.id;
  }

  endSession(session: SessionId, error?: EndpointErrorInit): void {
    this.assertCanSend();
    this.assertEncodable(error);
    this.sessionFor(session).end(error);
  }

  attach(session: SessionId, options: AttachOptions): LinkId {
    this.assertCanSend();
    if (options.role !== 'sender' && options.role !== 'receiver') {
      throw new LocalProtocolError(Condition.InvalidField, `role must be 'sender' or 'receiver', got ${String(options.role)}`);
    }
    const target = this.sessionFor(session);
    // A link name is unique per pair of containers and direction, whatever the session (§2.6.1).
    if (typeof options.name === 'string' && target.linkNamed(options.role, options.name) === undefined) {
      const other = this.linkNamed(options.role, options.name);
      if (other !== undefined) {
        throw new LocalProtocolError(
          Condition.IllegalState,
          `a ${options.role} link named ${JSON.stringify(options.name)} is already ${other.state} on session ${other.sessionId}`,
        );
      }
    }
    return target.attach(options);
  }

  /**
   * The link of this role (ours) and name on any session of the connection,
   * if there is one: a name may be used again once its link is gone
   * (the peer answered our detach, or detached it and we answered).
   */
  linkNamed(role: 'sender' | 'receiver', name: string): LinkInfo | undefined {
    return this.linksByName.get(linkNameKey(role, name));
  }

  detach(link: LinkId, options: DetachOptions): void {
    this.assertCanSend();
    this.assertEncodable(options.error);
    this.linkFor(link).detach(options);
  }

  flow(link: LinkId, options: FlowOptions): void {
    this.assertCanSend();
    this.linkFor(link).flow(options);
  }

  /** Sends a message; throws LocalProtocolError without link credit (check `linkCredit`). Returns the delivery-id. */
  send(link: LinkId, options: SendOptions): DeliveryId {
    this.assertCanSend();
    return this.senderFor(link, '').send(options);
  }

  /**
   * The next part of a delivery begun with `send({ ..., more: true })`;
   * `more: false` ends it. The engine keeps a reference to `payload`, as
   * `send` does. Returns true when nothing of the delivery waits for session
   * window; false when some does, and a `delivery-written` event follows
   * once it has gone out (pace the parts by it: the engine buffers whatever
   * it is given).
   */
  sendMore(link: LinkId, delivery: DeliveryId, payload: Uint8Array, more: boolean): boolean {
    this.assertCanSend();
    return this.senderFor(link, '').sendMore(delivery, payload, more);
  }

  /**
   * Receiver with `streamDeliveries`: the caller is done with `frames` of
   * the frames reported in `delivery-chunk` events on `link`, so the
   * session's incoming window may open by as many. Nothing happens for a
   * link that is gone (its frames were let go with it).
   */
  consumed(link: LinkId, frames: number): void {
    const l = this.links.get(link);
    if (l === undefined || this.outputClosed || l.role === 'sender') return;
    l.consumed(frames);
  }

  /** Sender: some of the link's transfers wait for session window. */
  waiting(link: LinkId): boolean {
    const l = this.links.get(link);
    return l !== undefined && l.role === 'sender' && l.waiting();
  }

  /** Sets the state of and/or settles deliveries of a link (one id or a range; ids not unsettled on the link are skipped). */
  dispose(link: LinkId, deliveries: DeliveryId | DeliveryRange, options: DisposeOptions): void {
    this.assertCanSend();
    this.linkFor(link).dispose(deliveries, options);
  }

  /** Aborts a delivery still being sent (held back by the session window). */
  abort(link: LinkId, delivery: DeliveryId): void {
    this.assertCanSend();
    this.senderFor(link, '; only a sender aborts').abort(delivery);
  }

  /**
   * Sender: how many more messages `send` accepts now. Receiver: credit
   * outstanding. 0 once the link is gone: the peer's detach may free it while
   * events it caused earlier in the same input are still being handled.
   */
  linkCredit(link: LinkId): number {
    return this.links.get(link)?.credit ?? 0;
  }

  /** A link's state, or undefined once it is gone. */
  link(link: LinkId): LinkInfo | undefined {
    return this.links.get(link);
  }

  /** Unsettled deliveries on a link (sent and not settled by the peer, or received and not settled by us). */
  unsettledCount(link: LinkId): number {
    return this.linkFor(link).unsettledCount();
  }

  // --- command checks --------------------------------------------------------------------

  private assertUsable(): void {
    if (this.failure !== undefined) {
      throw new LocalProtocolError(Condition.IllegalState, `the connection failed: ${this.failure.message}`, { cause: this.failure });
    }
    if (this.closeRequested || this.connState === 'end') throw new LocalProtocolError(Condition.IllegalState, 'the connection is closed');
  }

  private assertCanSend(): void {
    this.assertUsable();
    if (!this.openRequested) throw new LocalProtocolError(Condition.IllegalState, 'call open() first');
  }

  /**
   * Throws now, before any state changes, if an error to send cannot be
   * encoded. (One too long for the peer's max-frame-size is cut short when
   * written: a close, end or detach must not fail for want of room.)
   */
  private assertEncodable(error: EndpointErrorInit | undefined): void {
    if (error === undefined) return;
    if (typeof error.condition !== 'string')
      throw new LocalProtocolError(Condition.InvalidField, 'an error needs a condition (a symbol such as amqp:internal-error)');
    try {
      this.encodedSize(0, { type: 'close', error: toWireError(error) });
    } catch (e) {
      throw new LocalProtocolError(Condition.InvalidField, `cannot encode error: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  /** The size of a frame, encoded in the scratch writer. */
  private encodedSize(channel: number, body: Performative): number {
    this.scratch.reset();
    writeFrame(this.scratch, channel, body);
    return this.scratch.length;
  }

  private sessionFor(id: SessionId): Session {
    const s = this.sessions.get(id);
    if (s === undefined) throw new LocalProtocolError(Condition.NotFound, `no session ${id}`);
    return s;
  }

  private linkFor(id: LinkId): AnyLink {
    const l = this.links.get(id);
    if (l === undefined) throw new LocalProtocolError(Condition.NotFound, `no link ${id}`);
    return l;
  }

  /** The link, which must be a sender (`why` ends the error's message otherwise). */
  private senderFor(id: LinkId, why: string): SenderLink {
    const l = this.linkFor(id);
    if (l.role !== 'sender') throw new LocalProtocolError(Condition.NotAllowed, `link ${l.id} is a receiver${why}`);
    return l;
  }

  /** The channel the next session takes (taken once its begin is written). */
  private freeChannel(): number {
    const max = Math.min(this.localOpen.channelMax, this.remoteChannelMax);
    const channel = this.freeChannels.lowest();
    if (channel > max) throw new LocalProtocolError(Condition.ResourceLimitExceeded, `no free channel (channel-max ${max})`);
    return channel;
  }

  // --- output ------------------------------------------------------------------------------

  private makeHost(): SessionHost {
    // Data properties only (no getters), so V8 gives the object fast properties.
    return {
      frameWriter: () => this.held ?? this.out,
      messageWriter: new Writer(1024),
      canWrite: () => !this.outputClosed,
      remoteMaxFrameSize: () => this.remoteMaxFrameSize,
      writeFrame: (channel, body) => this.writeSessionFrame(channel, body),
      traceTransfer:
        this.trace === undefined
          ? undefined
          : (channel: number, t: Transfer, payload: Uint8Array | undefined) => {
              this.trace!.frame({ frameType: FRAME_TYPE_AMQP, channel, body: t, payload, size: 0 }, 'out');
            },
      emit: (event) => this.emit(event),
      newLinkId: () => this.nextLinkId++,
      linkAdded: (link) => {
        this.links.set(link.id, link);
        this.linksByName.set(linkNameKey(link.role, link.name), link);
      },
      linkRemoved: (link) => {
        this.links.delete(link.id);
        const key = linkNameKey(link.role, link.name);
        if (this.linksByName.get(key) === link) this.linksByName.delete(key);
      },
      markDirty: (session) => {
        this.dirty[this.dirtyCount++] = session;
      },
      unfinished: (delta) => (this.unfinishedBytes += delta),
      maxUnfinishedBytes: this.maxUnfinishedBytes,
      sessionRemoved: (session) => {
        this.sessions.delete(session.id);
        if (this.sessionsByLocalChannel[session.localChannel] === session) {
          this.sessionsByLocalChannel[session.localChannel] = undefined;
          this.freeChannels.release(session.localChannel);
        }
        if (this.sessionsByRemoteChannel[session.remoteChannel] === session) this.sessionsByRemoteChannel[session.remoteChannel] = undefined;
      },
    };
  }

  private emit(event: EngineEvent): void {
    this.events[this.eventTail++] = event;
  }

  /**
   * Writes a frame for a session: encoded aside first, so a field that
   * cannot be encoded, or a frame over the peer's max-frame-size, throws
   * before anything is queued.
   */
  private writeSessionFrame(channel: number, body: Performative): void {
    if (this.outputClosed) return;
    body = this.encodeFitting(channel, body);
    (this.held ?? this.out).writeFrom(this.scratch);
    if (this.trace !== undefined) this.traceFrame(channel, body);
  }

  private writeConnectionFrame(body: Open | Close): void {
    // The open was measured against the 512 bytes it may have when the engine was made.
    if (body.type === 'open') this.encodedSize(0, body);
    else body = this.encodeFitting(0, body);
    this.out.writeFrom(this.scratch);
    if (this.trace !== undefined) this.traceFrame(0, body);
  }

  /**
   * Encodes `body` into the scratch writer, within the peer's max-frame-size
   * (512 until its open arrives; Part 2 §2.7.1; transfers are split
   * elsewhere). The error of a close, end or detach (ours or the caller's;
   * its description may quote the peer's input) is cut short to fit: ending
   * something must not fail for want of room. Any other frame that does not
   * fit throws amqp:frame-size-too-small. Returns the body written.
   */
  private encodeFitting<B extends Performative>(channel: number, body: B): B {
    const limit = this.remoteMaxFrameSize;
    let size = this.encodedSize(channel, body);
    if (size <= limit) return body;
    if ((body.type === 'close' || body.type === 'end' || body.type === 'detach') && body.error !== undefined) {
      const fitted = { ...body, error: fitError(body.error, size - limit) };
      size = this.encodedSize(channel, fitted);
      if (size <= limit) return fitted;
    }
    throw new LocalProtocolError(Condition.FrameSizeTooSmall, `a ${body.type} frame of ${size} bytes does not fit the peer's max-frame-size of ${limit}`);
  }

  private traceFrame(channel: number, body: Performative): void {
    this.trace!.frame({ frameType: FRAME_TYPE_AMQP, channel, body, payload: undefined, size: 0 }, 'out');
  }

  private writeHeader(header: Uint8Array): void {
    this.out.writeBytes(header);
    if (header[4] === 0) {
      this.amqpHeaderSent = true;
      this.move('send-header');
    }
    if (this.trace !== undefined) this.trace.line(`[0] -> ${headerName(header)}`);
  }

  private writeSasl(body: SaslPerformative): void {
    const s = this.scratch;
    s.reset();
    writeSaslFrame(s, body);
    this.out.writeFrom(s);
    if (this.trace !== undefined) this.trace.frame({ frameType: FRAME_TYPE_SASL, channel: 0, body, size: 0 }, 'out');
  }

  private writeOpen(): void {
    this.move('send-open');
    this.writeConnectionFrame(this.localOpen);
    this.openSent = true;
    this.idle.armLocal(this.idleThreshold);
    const held = this.held;
    this.held = undefined;
    const chunks = held?.take();
    if (chunks !== undefined) this.out.writeChunks(chunks);
  }

  private writeClose(error: Close['error'], withError: boolean): void {
    const input: ConnectionInput = withError ? 'send-close-error' : 'send-close';
    const next = transition(CONNECTION_TRANSITIONS, this.connState, input);
    this.connState = next ?? 'end';
    this.writeConnectionFrame({ type: 'close', error });
    this.outputClosed = true;
  }

  private move(input: ConnectionInput): void {
    const next = transition(CONNECTION_TRANSITIONS, this.connState, input);
    if (next === undefined) throw new ProtocolError(Condition.IllegalState, `${input} is not allowed in connection state ${this.connState}`);
    this.connState = next;
  }

  private flushAll(): void {
    // Sessions marked while these flush go to the other array, for the next flush.
    const dirty = this.dirty;
    const n = this.dirtyCount;
    this.dirty = this.dirtySpare;
    this.dirtyCount = 0;
    this.dirtySpare = dirty;
    for (let i = 0; i < n; i++) {
      const session = dirty[i]!;
      dirty[i] = undefined;
      session.flush();
    }
  }

  private checkFinished(): void {
    if (!this.finished && this.outputClosed && this.inputClosed && this.out.length === 0) {
      this.finished = true;
      this.emit({ type: 'finished' });
    }
  }

  private checkIdle(now: number): void {
    if (this.outputClosed) return;
    const action = this.idle.check(now, this.bytesTaken + this.out.length);
    if (action === 'expired') {
      throw new ProtocolError(Condition.ResourceLimitExceeded, `local-idle-timeout expired: nothing received for ${this.idleThreshold} ms`);
    }
    if (action === 'keepalive' && this.openSent && this.out.length === 0) {
      this.out.writeBytes(EMPTY_FRAME);
      this.idle.countKeepalive(EMPTY_FRAME.length);
      if (this.trace !== undefined) this.trace.line('[0] -> (empty frame)');
    }
  }

  // --- failure -------------------------------------------------------------------------

  /** A connection-level failure: report it, tell the peer if we can, and stop. */
  private fatal(cause: unknown): void {
    if (this.failure !== undefined) return;
    const amqp =
      cause instanceof AmqpError
        ? cause
        : new AmqpError(Condition.InternalError, `internal error: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    const protocolError = amqp instanceof ProtocolError ? amqp : new ProtocolError(amqp.condition, amqp.description, { cause: amqp });
    this.emit({ type: 'protocol-error', error: protocolError, scope: 'connection' });
    const error = new ConnectionError(amqp.condition, amqp.description, { cause: amqp });
    this.failure = error;
    if (!this.outputClosed && this.amqpHeaderSent && this.connState !== 'end') {
      this.held = undefined;
      try {
        if (!this.openSent) this.writeOpen();
        this.writeClose({ condition: amqp.condition, description: amqp.description }, true);
      } catch {
        // Nothing more can be said to the peer.
      }
    }
    this.inputClosed = true;
    this.outputClosed = true;
    this.phase = 'closed';
    this.pending = EMPTY;
    this.idle.disarm();
    this.emit({ type: 'connection-closed', initiator: 'local', error });
  }

  // --- input: protocol headers and SASL ------------------------------------------------

  /** Consumes protocol headers and SASL frames from `pending` until AMQP frames start. */
  private readPreamble(): void {
    for (;;) {
      if (this.phase === 'header') {
        const p = this.pending;
        const n = Math.min(p.length, 4);
        for (let i = 0; i < n; i++) {
          if (p[i] !== AMQP_HEADER[i]) return this.headerMismatch(p.subarray(0, Math.min(p.length, 8)));
        }
        if (p.length < 8) return;
        const header = p.subarray(0, 8);
        this.pending = p.subarray(8);
        this.onHeader(header);
      } else if (this.phase === 'sasl') {
        const p = this.pending;
        if (this.saslWaiting) {
          // Our turn in SASL: what the peer pipelined (a client's AMQP header and open) waits, within a bound.
          if (p.length > 2 * this.saslReader.maxFrameSize)
            throw new ProtocolError(Condition.ResourceLimitExceeded, 'the peer sent too much while SASL waited for an answer');
          return;
        }
        if (p.length < 8) return;
        const size = ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
        if (size >= 8 && size <= this.saslReader.maxFrameSize && p.length < size) return;
        // Exactly one frame (or a bad header, which the reader reports) goes to the reader.
        const take = size >= 8 && size <= p.length ? size : p.length;
        this.saslReader.push(p.subarray(0, take));
        this.pending = p.subarray(take);
        const frame = this.saslReader.next();
        if (frame === undefined) throw new ProtocolError(Condition.FramingError, 'incomplete SASL frame');
        this.onSaslFrame(frame);
      } else if (this.phase === 'amqp') {
        if (this.pending.length > 0) {
          this.reader.push(this.pending);
          this.pending = EMPTY;
        }
        this.readFrames();
        return;
      } else {
        this.pending = EMPTY;
        return;
      }
    }
  }

  private onHeader(header: Uint8Array): void {
    if (this.trace !== undefined) this.trace.line(`[0] <- ${headerName(header)}`);
    const id = header[4];
    const version = header[5] === 1 && header[6] === 0 && header[7] === 0;
    if (!version || (id !== 0 && id !== 3)) return this.headerMismatch(header);
    const wantSasl = (this.saslClient !== undefined || this.saslServer !== undefined) && !this.saslDone;
    if (this.role === 'client') {
      if ((id === 3) !== wantSasl) return this.headerMismatch(header);
      if (id === 3) {
        this.phase = 'sasl';
      } else {
        this.move('recv-header');
        this.phase = 'amqp';
      }
      return;
    }
    // server
    if (id === 3) {
      if (!wantSasl) return this.headerMismatch(header);
      this.writeHeader(SASL_HEADER);
      this.writeSasl(this.saslServer!.mechanisms());
      this.phase = 'sasl';
      return;
    }
    if (wantSasl && this.requireSasl) return this.headerMismatch(header);
    this.move('recv-header');
    this.writeHeader(AMQP_HEADER);
    this.phase = 'amqp';
    if (this.openRequested && !this.openSent) this.writeOpen();
  }

  /** A protocol header we do not speak: send ours (the server's answer, §2.2) and end the transport. */
  private headerMismatch(received: Uint8Array): void {
    const wantSasl = (this.saslClient !== undefined || this.saslServer !== undefined) && !this.saslDone;
    const ours = wantSasl ? SASL_HEADER : AMQP_HEADER;
    if (this.role === 'server') this.out.writeBytes(ours);
    const hint = this.role === 'client' ? headerMismatchHint(received, ours) : undefined;
    const description = `protocol header mismatch: expected ${headerName(ours)}, got ${headerName(received)}${hint === undefined ? '' : `; ${hint}`}`;
    const error = new ProtocolError(Condition.NotImplemented, description);
    this.emit({ type: 'protocol-error', error, scope: 'connection' });
    const connectionError = new ConnectionError(Condition.NotImplemented, description, { cause: error });
    this.failure = connectionError;
    this.inputClosed = true;
    this.outputClosed = true;
    this.phase = 'closed';
    this.pending = EMPTY;
    this.idle.disarm();
    this.emit({ type: 'connection-closed', initiator: 'local', error: connectionError });
  }

  private onSaslFrame(frame: Frame): void {
    if (frame.frameType !== FRAME_TYPE_SASL) throw new ProtocolError(Condition.FramingError, 'expected a SASL frame during SASL negotiation');
    if (this.trace !== undefined) this.trace.frame(frame, 'in');
    this.saslStep(() => (this.saslClient !== undefined ? this.saslClient.receive(frame.body) : this.saslServer!.receive(frame.body)));
  }

  /** Runs one step of the SASL exchange (a frame in, or an answer) and acts on its result. */
  private saslStep(run: () => SaslResult): void {
    let result: SaslResult;
    try {
      result = run();
    } catch (e) {
      const error = e instanceof SaslError ? e : new SaslError(`SASL failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      return this.saslFailed({ type: 'sasl-outcome', ok: false, mechanism: this.saslClient?.mechanismName, error }, undefined);
    }
    if (result.request !== undefined) {
      this.saslWaiting = true;
      this.emit({ type: 'sasl-request', mechanism: (this.saslClient ?? this.saslServer!).mechanismName ?? '', request: result.request });
      return;
    }
    if (result.outcome === undefined) {
      if (result.reply !== undefined) this.writeSasl(result.reply);
      return;
    }
    if (!result.outcome.ok) return this.saslFailed(result.outcome, result.reply);
    if (result.reply !== undefined) this.writeSasl(result.reply);
    this.saslDone = true;
    this.emit(result.outcome);
    this.phase = 'header';
    if (this.role === 'client') {
      this.writeHeader(AMQP_HEADER);
      if (this.openRequested && !this.openSent) this.writeOpen();
    }
  }

  private saslFailed(outcome: SaslOutcomeEvent, reply: SaslPerformative | undefined): void {
    if (reply !== undefined) this.writeSasl(reply);
    this.emit(outcome);
    const sasl = outcome.error!;
    const error = new ConnectionError(sasl.condition, sasl.description, { cause: sasl, remote: sasl.remote });
    this.failure = error;
    this.inputClosed = true;
    this.outputClosed = true;
    this.phase = 'closed';
    this.pending = EMPTY;
    this.idle.disarm();
    this.emit({ type: 'connection-closed', initiator: sasl.remote ? 'remote' : 'local', error });
  }

  // --- input: AMQP frames ----------------------------------------------------------------

  private readFrames(): void {
    const reader = this.reader;
    while (this.phase === 'amqp') {
      const frame = reader.next();
      if (frame === undefined) return;
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Frame): void {
    if (frame.frameType !== FRAME_TYPE_AMQP) throw new ProtocolError(Condition.FramingError, 'SASL frame after the AMQP header');
    if (this.trace !== undefined) this.trace.frame(frame, 'in');
    const body = frame.body;
    if (body === undefined) return; // keepalive
    const channel = frame.channel;
    if (channel > this.localOpen.channelMax) {
      throw new ProtocolError(Condition.FramingError, `${body.type} on channel ${channel}, above our channel-max ${this.localOpen.channelMax}`);
    }
    switch (body.type) {
      case 'transfer':
      case 'disposition':
      case 'flow':
      case 'attach':
      case 'detach': {
        // 'opened' first: the usual state, without a set lookup per frame.
        if (this.connState !== 'opened' && CONNECTION_DISCARDS_INPUT.has(this.connState)) return;
        const session = this.sessionsByRemoteChannel[channel];
        if (session === undefined) this.unmappedChannel(body.type, channel);
        else if (session.acceptsLinkFrames) session.onFrame(body, frame.payloadParts ?? frame.payload);
        return;
      }
      case 'begin':
        if (CONNECTION_DISCARDS_INPUT.has(this.connState)) return;
        return this.onBegin(channel, body);
      case 'end':
        if (CONNECTION_DISCARDS_INPUT.has(this.connState)) return;
        return this.onEnd(channel, body);
      case 'open':
        if (CONNECTION_DISCARDS_INPUT.has(this.connState) && this.connState !== 'close-pipe' && this.connState !== 'oc-pipe') return;
        return this.onOpen(body);
      case 'close':
        return this.onClose(body);
    }
  }

  private unmappedChannel(what: string, channel: number): never {
    if (!CONNECTION_PEER_OPEN.has(this.connState)) throw new ProtocolError(Condition.IllegalState, `${what} received before open`);
    throw new ProtocolError(Condition.NotAllowed, `${what} on channel ${channel}, where no session has begun`);
  }

  private onOpen(open: Open): void {
    const next = transition(CONNECTION_TRANSITIONS, this.connState, 'recv-open');
    if (next === undefined) throw new ProtocolError(Condition.IllegalState, `open received in connection state ${this.connState}`);
    const idleTimeOut = open.idleTimeOut ?? 0;
    if (idleTimeOut > 0 && idleTimeOut < MIN_IDLE_TIMEOUT_MS) {
      // Keepalives every half of it would be a busy loop: refuse it (§2.4.5 allows that).
      throw new ProtocolError(Condition.InvalidField, `the peer's idle-time-out of ${idleTimeOut} ms is below our minimum of ${MIN_IDLE_TIMEOUT_MS} ms`);
    }
    this.connState = next;
    this.remoteOpenFrame = open;
    this.remoteMaxFrameSize = Math.max(MIN_MAX_FRAME_SIZE, open.maxFrameSize);
    this.remoteChannelMax = open.channelMax;
    this.idle.armRemote(idleTimeOut);
    this.emit({ type: 'connection-opened', open });
  }

  private onClose(close: Close): void {
    let next = transition(CONNECTION_TRANSITIONS, this.connState, 'recv-close');
    // A peer refusing us may close without sending open first; accept that rather than fail it.
    if (next === undefined && (this.connState === 'open-sent' || this.connState === 'hdr-exch')) next = 'close-rcvd';
    if (next === undefined) throw new ProtocolError(Condition.IllegalState, `close received in connection state ${this.connState}`);
    this.connState = next;
    const peerError = close.error === undefined ? undefined : fromWireError(ConnectionError, close.error);
    this.inputClosed = true;
    this.phase = 'closed';
    this.idle.disarm();
    if (next === 'close-rcvd') {
      // The peer closed first: answer (opening first if we never did), then report.
      this.held = undefined;
      if (!this.openSent) this.writeOpen();
      this.dirtyCount = 0; // the sessions marked are not flushed (their slots are overwritten later)
      this.writeClose(undefined, false);
      this.connState = 'end';
      this.emit({ type: 'connection-closed', initiator: 'remote', error: peerError });
    } else {
      this.emit({ type: 'connection-closed', initiator: 'local', error: peerError ?? this.localError });
    }
  }

  private onBegin(channel: number, begin: Begin): void {
    if (!CONNECTION_PEER_OPEN.has(this.connState)) throw new ProtocolError(Condition.IllegalState, 'begin received before open');
    if (this.sessionsByRemoteChannel[channel] !== undefined)
      throw new ProtocolError(Condition.IllegalState, `begin on channel ${channel}, which already has a session`);
    if (begin.remoteChannel !== undefined) {
      const session = this.sessionsByLocalChannel[begin.remoteChannel];
      if (session === undefined || !session.onBegin(channel, begin)) {
        throw new ProtocolError(Condition.IllegalState, `begin answers channel ${begin.remoteChannel}, where we have no session beginning`);
      }
      this.sessionsByRemoteChannel[channel] = session;
      // Not reported when we already ended the session: its end follows.
      if (session.state === 'mapped') this.emit({ type: 'session-begun', session: session.id, initiator: 'local', begin });
      return;
    }
    // The peer begins a session: answer it at once (the caller may end it).
    const localChannel = this.freeChannelForPeer();
    const session = new Session(this.nextSessionId++, localChannel, this.host, this.peerSessions);
    this.sessions.set(session.id, session);
    this.sessionsByLocalChannel[this.freeChannels.takeLowest()] = session;
    this.sessionsByRemoteChannel[channel] = session;
    session.onBegin(channel, begin);
    session.sendBegin();
    this.emit({ type: 'session-begun', session: session.id, initiator: 'remote', begin });
  }

  private freeChannelForPeer(): number {
    const max = Math.min(this.localOpen.channelMax, this.remoteChannelMax);
    const channel = this.freeChannels.lowest();
    if (channel > max) throw new ProtocolError(Condition.ResourceLimitExceeded, `the peer began more sessions than channel-max ${max} allows`);
    return channel;
  }

  private onEnd(channel: number, end: End): void {
    const session = this.sessionsByRemoteChannel[channel];
    if (session === undefined) this.unmappedChannel('end', channel);
    session.onEnd(end);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
