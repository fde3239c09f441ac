/**
 * Benchmark worker: our raw engine (src/engine) over Node TCP
 * (EngineDriver + connectNode), no RxJS API on top.
 *
 *   tsx bench/workers/rx-engine-client.ts send|receive HOST PORT ADDRESS MESSAGES_PER_ROUND [USER PASSWORD]
 *
 * Runs rounds as rounds.ts describes. Each round does what Qpid Proton's C
 * examples send.c / receive.c do, so the three clients of the `engine`
 * scenario do the same work:
 * - send: one sender link; the round's messages go out as the peer's credit
 *   allows, each encoded on the spot: message-id = the sequence number as a
 *   ulong, body an amqp-value map {"sequence": int}; unsettled; the round is
 *   done when all are accepted. As send.c reuses one pn_message_t (clear,
 *   set the id, put the body map, encode), this reuses one message object
 *   and its body map, and sets the id and the map's value; `engine.send`
 *   encodes it (`{ message }`) straight into the connection's output.
 * - receive: one receiver link, granted the round's messages as credit at
 *   once; each message is decoded and its body read; unsettled ones are
 *   accepted and settled (the broker sends them pre-settled).
 */
import { Typed, type AmqpValue } from '../../src/codec/types.js';
import { Engine, type EngineEvent } from '../../src/engine/index.js';
import { decodeMessage } from '../../src/frames/index.js';
import type { DeliveryState, WireMessage, Source, Target } from '../../src/frames/types.js';
import { EngineDriver } from '../../src/transport/index.js';
import { connectNode } from '../../src/transport/node/index.js';
import { fail, parseWorkerArgs, Rounds } from './rounds.js';

const NAME = 'rx-engine-client';
const { mode, host, port, address, perRound, user, password } = parseWorkerArgs(NAME);

const ACCEPTED: DeliveryState = { type: 'accepted' };
const DISPOSE_ACCEPTED = { state: ACCEPTED, settled: true } as const;
const SEQUENCE_KEY = 'sequence';

/** The one message sent, refilled for each send (see the header). */
const outgoingBody = new Map<AmqpValue, AmqpValue>();
const outgoingProperties: { messageId: bigint } = { messageId: 0n };
const outgoing: WireMessage = { properties: outgoingProperties, body: { type: 'value', value: outgoingBody } };

function message(n: number): WireMessage {
  outgoingProperties.messageId = BigInt(n);
  outgoingBody.set(SEQUENCE_KEY, new Typed('int', n));
  return outgoing;
}

const engine = new Engine({
  role: 'client',
  containerId: `rx-engine-bench-${process.pid}`,
  hostname: host,
  // SASL PLAIN with a user (RabbitMQ); without one, no SASL (Proton's broker.c accepts the plain AMQP header).
  ...(user === undefined ? {} : { sasl: { mechanisms: ['PLAIN'], credentials: { user, password: password! }, secure: false, allowInsecure: true } }),
});
engine.open();
const session = engine.beginSession();
const terminus = { durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false } as const;
const source: Source = { type: 'source', ...terminus, address: mode === 'receive' ? address : undefined };
const target: Target = { type: 'target', ...terminus, address: mode === 'send' ? address : undefined };
// RabbitMQ 3.10 may send beyond the credit (rabbitmq-server#2597): take the excess, as receive() does.
const link = engine.attach(session, { name: `bench-${mode}`, role: mode === 'send' ? 'sender' : 'receiver', source, target, creditOverrun: 'accept' });

let driver: EngineDriver<EngineEvent> | undefined;
let sequence = 0;
/** Messages of the current round still to send (sender) and still to complete. */
let toSend = 0;
let toComplete = 0;
let checksum = 0;
let closing = false;

const rounds = new Rounds(
  () => {
    toComplete = perRound;
    if (mode === 'send') {
      toSend = perRound;
      sendWhileCredit();
    } else {
      engine.flow(link, { credit: perRound });
    }
    driver!.flush();
  },
  () => {
    closing = true;
    engine.close();
    driver!.flush();
  },
);

function sendWhileCredit(): void {
  let credit = engine.linkCredit(link);
  while (credit > 0 && toSend > 0) {
    toSend--;
    credit--;
    engine.send(link, { message: message(++sequence) });
  }
}

function completed(): void {
  if (--toComplete === 0) rounds.roundDone(perRound);
}

function onEvent(event: EngineEvent): void {
  switch (event.type) {
    case 'link-attached':
      // The broker answered our attach. The sender waits for its first credit (a link-flow) before it is ready.
      if (mode === 'receive') rounds.ready();
      break;
    case 'link-flow':
      if (mode === 'send') {
        if (toSend > 0) sendWhileCredit();
        else if (event.credit > 0) rounds.ready();
      }
      break;
    case 'delivery-updated':
      if (event.state?.type !== 'accepted') fail(NAME, `delivery ${event.deliveryId}: ${event.state?.type ?? 'no outcome'}`);
      completed();
      break;
    case 'delivery': {
      const m = decodeMessage(event.payload);
      const body = m.body?.type === 'value' ? m.body.value : undefined;
      const seq = body instanceof Map ? (body.get(SEQUENCE_KEY) as Typed<'int'> | undefined)?.value : undefined;
      if (seq === undefined) fail(NAME, 'a message without a sequence number');
      checksum += seq;
      if (!event.settled) engine.dispose(link, event.deliveryId, DISPOSE_ACCEPTED);
      completed();
      break;
    }
    case 'protocol-error':
      return fail(NAME, String(event.error));
    case 'connection-closed':
      if (event.error !== undefined) fail(NAME, String(event.error));
      if (!closing) fail(NAME, 'the peer closed the connection');
      break;
    default:
      break;
  }
}

connectNode({ host, port }).subscribe({
  next: (channel) => {
    driver = new EngineDriver(engine, channel);
    driver.events$.subscribe({
      next: onEvent,
      error: (error: unknown) => fail(NAME, String(error)),
      complete: () => {
        process.stderr.write(`${NAME}: ${mode} done, checksum ${checksum}\n`);
      },
    });
  },
  error: (error: unknown) => fail(NAME, `cannot connect: ${String(error)}`),
});
