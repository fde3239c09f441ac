/**
 * Options of the engine's objects (one options object per object, after
 * go-amqp's ConnOptions / link_options.go). Each field's comment states its
 * default; the defaults are the exported constants below.
 */
import type { Writer } from '../codec/writer.js';
import type { Fields, ReceiverSettleMode, Role, SenderSettleMode, Source, Target, Coordinator, DeliveryState, WireMessage } from '../frames/types.js';
import type { SaslAuthenticator, SaslCredentials, SaslCrypto } from './sasl/index.js';

/** Our max-frame-size, in bytes (Proton and rhea use the same). */
export const DEFAULT_MAX_FRAME_SIZE = 65536;
/** The smallest max-frame-size AMQP allows (Part 2 §2.7.1, MIN-MAX-FRAME-SIZE). */
export const MIN_MAX_FRAME_SIZE = 512;
/**
 * The bytes of incoming deliveries still arriving in pieces (multi-frame
 * messages being assembled) a connection holds at most, each frame counted
 * 32 bytes besides its payload: 128 MiB. A delivery that would pass it
 * detaches its link with amqp:resource-limit-exceeded. It is also the
 * largest message a connection can receive.
 */
export const DEFAULT_MAX_UNFINISHED_BYTES = 128 * 1024 * 1024;
/**
 * The shortest idle-time-out we accept from a peer, in ms. A peer's open
 * with a shorter one (1 ms, say: keepalives every half millisecond) is
 * closed with amqp:invalid-field (Part 2 §2.4.5 lets a peer refuse an
 * idle-time-out it cannot support). Our own `idleTimeOut` option is 0 or at
 * least twice this, since the open advertises half of it.
 */
export const MIN_IDLE_TIMEOUT_MS = 100;
/** Highest channel number we accept (the spec's default). */
export const DEFAULT_CHANNEL_MAX = 65535;
/** Highest link handle we accept per session (the spec's default). */
export const DEFAULT_HANDLE_MAX = 0xffffffff;
/**
 * Transfer frames a session accepts before it must grant more (refilled when
 * half used). As large as the field allows, as Proton's peers advertise:
 * link credit (and max-message-size) already bound what a sender may send,
 * and Proton's example broker, which sends only on link-flow events, can
 * stall against a small window refilled at half (seen with 2048 after about
 * 180,000 messages; BENCHMARKS.md). A smaller window is a session option.
 */
export const DEFAULT_INCOMING_WINDOW = 0x7fffffff;
/** The outgoing-window we advertise; informational only (Part 2 §2.5.6), so as large as is safe. */
export const DEFAULT_OUTGOING_WINDOW = 0x7fffffff;

/** SASL as a client: which mechanisms we allow and what we authenticate with. */
export interface SaslClientOptions {
  /** Mechanisms we are willing to use, in order of preference. Default: every mechanism `chooseMechanism` knows. */
  readonly mechanisms?: readonly string[];
  /** User, password, authzid. */
  readonly credentials: SaslCredentials;
  /** True when the transport is TLS; mechanisms that send a password in clear need it (or `allowInsecure`). */
  readonly secure: boolean;
  /** Allow PLAIN over a plain-text transport. Default false. */
  readonly allowInsecure?: boolean;
  /** True when the TLS transport presented a client certificate (enables EXTERNAL). Default false. */
  readonly hasClientCertificate?: boolean;
  /** Hash, HMAC and randomness. Default `defaultSaslCrypto`. */
  readonly crypto?: SaslCrypto;
  /**
   * The caller answers GSSAPI's `sasl-request` events (GSS-API calls) with
   * `Engine.answerSasl`, so GSSAPI may be chosen when `mechanisms` names it. Default false.
   */
  readonly gssapi?: boolean;
}

/** SASL as a server: how we check clients. */
export interface SaslServerOptions {
  readonly authenticator: SaslAuthenticator;
  /** The identity from the client's TLS certificate, when there is one (for EXTERNAL). */
  readonly tlsIdentity?: string;
  readonly crypto?: SaslCrypto;
}

/** How an {@link Engine} speaks for one connection: its role, container-id, limits, idle time-out and SASL; given to its constructor. */
export interface EngineOptions {
  /** Which side opened the transport: the client sends its protocol header first. */
  readonly role: 'client' | 'server';
  /** Our container-id (required by open). */
  readonly containerId: string;
  /** The hostname we connect to (open and sasl-init); client only. Default none. */
  readonly hostname?: string;
  /** Largest frame we accept, ≥ 512. Default {@link DEFAULT_MAX_FRAME_SIZE}. */
  readonly maxFrameSize?: number;
  /** Highest channel number we accept, 0..65535. Default {@link DEFAULT_CHANNEL_MAX}. */
  readonly channelMax?: number;
  /**
   * Close the connection when nothing arrives for this many milliseconds;
   * the open advertises half of it (§2.4.5). 0 (none) or at least
   * 2 × {@link MIN_IDLE_TIMEOUT_MS} (200). Default none (0).
   */
  readonly idleTimeOut?: number;
  readonly offeredCapabilities?: readonly string[];
  readonly desiredCapabilities?: readonly string[];
  readonly properties?: Fields;
  /**
   * SASL: a client config (client role) or a server config (server role).
   * Default none: the client sends the plain AMQP header; the server accepts it
   * unless `requireSasl` is set, and answers a SASL header by closing.
   */
  readonly sasl?: SaslClientOptions | SaslServerOptions;
  /** Server role with `sasl`: refuse clients that skip SASL. Default true when `sasl` is set. */
  readonly requireSasl?: boolean;
  /** Receives one readable line per frame in and out (see `traceFromEnv`). Default none. */
  readonly trace?: (line: string) => void;
  /** Options of the sessions the peer begins (which we answer at once). Default: the SessionOptions defaults. */
  readonly peerSessions?: SessionOptions;
  /**
   * Bytes of incoming deliveries still arriving in pieces that the whole
   * connection holds at most (each transfer frame counts 32 bytes besides
   * its payload); a delivery that would pass it detaches its link with
   * amqp:resource-limit-exceeded. Default {@link DEFAULT_MAX_UNFINISHED_BYTES} (128 MiB).
   */
  readonly maxUnfinishedBytes?: number;
}

/** A session's windows, limits and properties: given to `Engine.beginSession`, or as `EngineOptions.peerSessions` for the sessions the peer begins. */
export interface SessionOptions {
  /** Transfer frames we accept before granting more. Default {@link DEFAULT_INCOMING_WINDOW}. */
  readonly incomingWindow?: number;
  /** Advertised outgoing window. Default {@link DEFAULT_OUTGOING_WINDOW}. */
  readonly outgoingWindow?: number;
  /** The first transfer-id and delivery-id we use. Default 0. */
  readonly nextOutgoingId?: number;
  /** Highest link handle we accept. Default {@link DEFAULT_HANDLE_MAX}. */
  readonly handleMax?: number;
  /**
   * Bytes of incoming deliveries still arriving in pieces that this session
   * holds at most (as EngineOptions.maxUnfinishedBytes counts them). Default:
   * the connection's bound.
   */
  readonly maxUnfinishedBytes?: number;
  readonly offeredCapabilities?: readonly string[];
  readonly desiredCapabilities?: readonly string[];
  readonly properties?: Fields;
}

/** What a receiver does with a transfer beyond its credit; see {@link AttachOptions.creditOverrun}. */
export type CreditOverrun = 'detach' | 'accept';

/** A link to attach (or a peer's attach to answer), given to `Engine.attach`: its name, our role, source and target, settle modes and limits. */
export interface AttachOptions {
  /** The link name; unique per (container pair, direction). An attach naming a link the peer is attaching answers it. */
  readonly name: string;
  /** Our role on the link. */
  readonly role: Role;
  readonly source?: Source | undefined;
  readonly target?: Target | Coordinator | undefined;
  /** Default 'mixed'. */
  readonly sndSettleMode?: SenderSettleMode;
  /** Default 'first'. */
  readonly rcvSettleMode?: ReceiverSettleMode;
  /** Largest message we accept (receiver) or will send (sender), in bytes. Default none (no limit). */
  readonly maxMessageSize?: number | bigint;
  /**
   * Receiver: what a transfer beyond the credit we granted does. `'detach'`
   * (default): detach the link with amqp:link:transfer-limit-exceeded, as
   * Part 2 §2.6.7 allows. `'accept'`: take the delivery anyway (credit stays
   * 0, delivery-count advances), as Proton and rhea do; RabbitMQ 3.x
   * overshoots credit topped up mid-stream (rabbitmq-server#2597).
   */
  readonly creditOverrun?: CreditOverrun;
  /**
   * Receiver: report each transfer frame as it arrives (a `delivery-chunk`
   * event) instead of assembling whole messages, for messages too large to
   * hold: nothing is joined or kept by the engine, and none of it counts
   * against maxUnfinishedBytes. Each frame reported stays charged to the
   * session's incoming window until the caller says it is done with it
   * (`Engine.consumed`), so the peer sends no faster than the caller reads:
   * give such links a session of their own, with a small window. Default false.
   */
  readonly streamDeliveries?: boolean;
  /** Sender: the first delivery-count. Default 0. */
  readonly initialDeliveryCount?: number;
  /** Passed through for link recovery; the engine keeps no delivery state across attaches. */
  readonly unsettled?: ReadonlyMap<Uint8Array, DeliveryState | null>;
  readonly incompleteUnsettled?: boolean;
  readonly offeredCapabilities?: readonly string[];
  readonly desiredCapabilities?: readonly string[];
  readonly properties?: Fields;
}

/** How `Engine.detach` ends a link: closed or only detached, with an error or none. */
export interface DetachOptions {
  /** True closes the link (its terminus state may be discarded); false only detaches it (durable links re-attach later). */
  readonly closed: boolean;
  readonly error?: EndpointErrorInit;
}

/** An error to send in close, end or detach. */
export interface EndpointErrorInit {
  readonly condition: string;
  readonly description?: string;
  readonly info?: Fields | ReadonlyMap<string, unknown>;
}

/** What `Engine.flow` changes in a link's flow state (credit, drain, available) and whether the peer should echo its own. */
export interface FlowOptions {
  /** Receiver: set the link credit to exactly this many deliveries. */
  readonly credit?: number;
  /** Receiver: ask the sender to use up all credit now or give it back (answered by a flow with credit 0). */
  readonly drain?: boolean;
  /** Ask the peer to answer with its own flow state. */
  readonly echo?: boolean;
  /** Sender: how many messages we have waiting. */
  readonly available?: number;
  /** Sender: answer a drain request: give back the remaining credit (advance delivery-count, credit 0). */
  readonly drained?: boolean;
}

/** One delivery for `Engine.send` on a sender link: the message (encoded or not), its tag, settlement and state. */
export interface SendOptions {
  /**
   * The encoded message (sections); sent as is, split into frames of the
   * peer's max-frame-size. The engine keeps a reference: large payloads go
   * to the transport as views, not copies (and any payload may wait for
   * session window), so do not change the bytes after `send`.
   * Give one of `payload`, `message` and `encode`.
   */
  readonly payload?: Uint8Array;
  /**
   * The message, for the engine to encode: straight into its output when
   * the transfer goes out at once, so there is no encoded copy to allocate
   * (the engine copies the bytes only when the transfer must wait for
   * session window). The engine does not keep the object: change and send
   * it again if you like, as Proton's send.c reuses its pn_message_t. A
   * message that cannot be encoded fails the call with `amqp:invalid-field`.
   */
  readonly message?: WireMessage;
  /**
   * Writes the message's sections into the writer it is given (the engine's
   * own, reset, and theirs again after the call): a message in a form of the
   * caller's own (the rx layer's flat messages), encoded as `message` is,
   * with no encoded copy. Called once, at once, before anything changes;
   * what it throws fails the call unchanged, with nothing sent.
   */
  readonly encode?: (w: Writer) => void;
  /** Delivery tag, at most 32 bytes. Default: a 4-byte counter unique on the link. */
  readonly tag?: Uint8Array;
  /** Default 0 (the AMQP message format). */
  readonly messageFormat?: number;
  /** Send pre-settled (fire and forget). Default: true only when the link's snd-settle-mode is 'settled'. */
  readonly settled?: boolean;
  /**
   * The delivery state written on the first transfer frame (Part 2 §2.7.5
   * `state`), e.g. a transactional-state naming the transaction the message
   * is sent in (Part 4 §4.4.1). Default none.
   */
  readonly state?: DeliveryState;
  /**
   * The payload is only the first part of the delivery (a message streamed
   * in pieces): continue it with `Engine.sendMore`, and end it there with
   * `more: false` (or abort it). Until then the link sends nothing else.
   * Default false.
   */
  readonly more?: boolean;
  /**
   * Resume a delivery of an earlier link of this name (Part 2 §2.6.13): the
   * transfer carries resume=true and `tag` must be the tag it was first sent
   * with. Default false.
   */
  readonly resume?: boolean;
}

/** What `Engine.dispose` does with a delivery: the state or outcome to send, and whether to settle it. */
export interface DisposeOptions {
  /** The outcome or state; omit to only settle. */
  readonly state?: DeliveryState;
  /** Settle the delivery (forget it). In rcv-settle-mode 'second' a receiver cannot settle first. */
  readonly settled: boolean;
}

/** A range of delivery ids, inclusive. */
export interface DeliveryRange {
  readonly first: number;
  readonly last: number;
}
