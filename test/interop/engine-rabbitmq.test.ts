/**
 * Our engine over TCP against RabbitMQ 3.10 with its AMQP 1.0 plugin (a
 * private node on loopback): SASL (PLAIN, a wrong password, ANONYMOUS),
 * 10,000 messages through `/queue/NAME`, and what the 3.10 plugin does with
 * each outcome.
 *
 * Two RabbitMQ 3.10 bugs shape how these tests ask for messages, neither
 * ours: the plugin may send more transfers than the credit granted when the
 * credit is topped up while messages are in flight (rabbitmq-server#2597,
 * fixed only by 4.0's native AMQP 1.0); our engine then detaches the link
 * with amqp:link:transfer-limit-exceeded, as §2.6.7 allows. So receivers here
 * grant the whole credit they need at once. And draining a classic queue
 * crashes its channel (rabbitmq-server#7119, fixed after the 3.10.8 Debian ships), so no drain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, type SessionId } from '../../src/engine/index.js';
import { SaslError } from '../../src/engine/sasl/index.js';
import { decodeMessage } from '../../src/frames/index.js';
import { EngineConnection, RELEASED, type DialOptions } from '../support/engine-client.js';
import { startRabbitMq, type RunningRabbitMq } from '../support/peers/index.js';
import { readText, textMessage } from './messages.js';

const MANY = 10_000;

describe('our engine as a client of RabbitMQ 3.10 (AMQP 1.0 plugin)', () => {
  let rabbit: RunningRabbitMq | undefined;
  let connection: EngineConnection | undefined;
  let session: SessionId;
  const opened: EngineConnection[] = [];

  const endpoint = () => ({ host: rabbit!.host, port: rabbit!.port });
  const plain = (password = rabbit!.password): DialOptions => ({
    sasl: { credentials: { user: rabbit!.username, password }, allowInsecure: true },
  });
  async function dial(options: DialOptions): Promise<EngineConnection> {
    const c = await EngineConnection.dial(endpoint(), options);
    opened.push(c);
    return c;
  }

  beforeAll(async () => {
    rabbit = await startRabbitMq();
    connection = await dial(plain());
    await connection.opened;
    session = await connection.begin();
  });

  afterAll(async () => {
    for (const c of opened) c.destroy();
    await rabbit?.stop();
  });

  it('authenticates with SASL PLAIN over plain TCP when allowInsecure is set', () => {
    expect(connection!.events[0]).toEqual({ type: 'sasl-outcome', ok: true, mechanism: 'PLAIN' });
    expect(connection!.events[1]!.type).toBe('connection-opened');
    expect(connection!.engine.remoteOpen!.containerId).toContain(rabbit!.nodeName.split('@')[0]!);
  });

  it(`sends ${MANY} messages to /queue/NAME, each accepted, and receives them all in order`, async () => {
    const address = '/queue/rx-amqp-many';
    const sender = await connection!.openSender(session, { address });
    const outcomes = await sender.sendAll(MANY, (i) => textMessage(i));
    expect(outcomes.filter((o) => o?.state?.type !== 'accepted' || !o.settled).slice(0, 3)).toEqual([]);

    const receiver = await connection!.openReceiver(session, { address });
    // The whole credit at once: see the note on rabbitmq-server#2597 above.
    const deliveries = await receiver.receive(MANY, { window: MANY });
    const wrong = deliveries.map((d, i) => ({ i, ...readText(d.payload) })).filter((m) => m.id !== BigInt(m.i) || m.text !== `message ${m.i}`);
    expect(wrong.slice(0, 3)).toEqual([]);
    // RabbitMQ sends unsettled (snd-settle-mode unsettled) and we accepted and settled each.
    expect(deliveries.every((d) => !d.settled)).toBe(true);
    expect(connection!.engine.unsettledCount(receiver.id)).toBe(0);
    await sender.detach();
    await receiver.detach();
  });

  it('requeues a released message, drops a rejected one, and ends the session on modified', async () => {
    const address = '/queue/rx-amqp-outcomes';
    const sender = await connection!.openSender(session, { address });
    const receiver = await connection!.openReceiver(session, { address });
    await sender.sendAll(3, (i) => textMessage(i, ['to release', 'to reject', 'third'][i]));
    const first = await receiver.receive(2, {
      dispose: (_d, i) => (i === 0 ? { state: RELEASED, settled: true } : { state: { type: 'rejected', error: { condition: 'rx-amqp:test' } }, settled: true }),
    });
    expect(first.map((d) => readText(d.payload).text)).toEqual(['to release', 'to reject']);

    // The plugin maps released to basic.reject with requeue, rejected to basic.reject without.
    const rest = await receiver.receive(2);
    const texts = rest.map((d) => readText(d.payload).text);
    expect(texts.sort()).toEqual(['third', 'to release']);
    const again = rest.find((d) => readText(d.payload).text === 'to release')!;
    // The redelivery says so: RabbitMQ clears first-acquirer.
    expect(decodeMessage(again.payload).header?.firstAcquirer).toBe(false);
    expect(await receiver.quiet(300)).toBe(0);
    await sender.detach();
    await receiver.detach();

    // The 3.10 plugin knows accepted, rejected and released only: modified ends the session.
    const other = await connection!.begin();
    const sender2 = await connection!.openSender(other, { address });
    const receiver2 = await connection!.openReceiver(other, { address });
    await sender2.sendAll(1, () => textMessage(9, 'to modify'));
    await receiver2.receive(1, { dispose: () => ({ state: { type: 'modified', deliveryFailed: true, undeliverableHere: false }, settled: true }) });
    const detached = await receiver2.detached;
    expect(detached).toMatchObject({ initiator: 'remote', error: { condition: 'amqp:invalid-field' } });
    const ended = connection!.events.find((e) => e.type === 'session-ended' && e.session === other);
    expect(ended).toMatchObject({ initiator: 'remote', error: { condition: 'amqp:invalid-field' } });
    // The connection and the first session live on.
    expect(connection!.engine.state).toBe('opened');
  });

  it('a wrong password fails with a SaslError whose outcome code is auth', async () => {
    const c = await dial(plain('not-the-password'));
    const error = await c.opened.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SaslError);
    const outcome = c.events.find((e) => e.type === 'sasl-outcome');
    expect(outcome).toMatchObject({ type: 'sasl-outcome', ok: false, mechanism: 'PLAIN' });
    const saslError = outcome?.type === 'sasl-outcome' ? outcome.error : undefined;
    expect(saslError).toBeInstanceOf(SaslError);
    expect(saslError).toMatchObject({ code: 'auth', remote: true, condition: 'amqp:unauthorized-access' });
    const closed = c.events.find((e) => e.type === 'connection-closed');
    expect(closed).toMatchObject({ initiator: 'remote' });
    expect(closed?.type === 'connection-closed' ? closed.error : undefined).toBeInstanceOf(ConnectionError);
    // Nothing more to say on either side (RabbitMQ answers after a deliberate 3 s and drops the socket 3 s later).
    expect(c.engine.isFinished).toBe(true);
  });

  it('does not send a PLAIN password over plain TCP without allowInsecure', async () => {
    const c = await dial({ sasl: { credentials: { user: rabbit!.username, password: rabbit!.password } } });
    const error = await c.opened.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SaslError);
    // Refused by us, before sasl-init: RabbitMQ offers ANONYMOUS, AMQPLAIN and PLAIN, and none may carry these credentials.
    expect(error).toMatchObject({ remote: false, code: undefined });
    expect((error as SaslError).description).toContain('ANONYMOUS, AMQPLAIN, PLAIN');
  });

  it('ANONYMOUS: offered and accepted while amqp1_0.default_user is set, not offered once it is none', async () => {
    // The harness sets amqp1_0.default_user, so ANONYMOUS logs in as that user.
    const anonymous = await dial({ sasl: { credentials: {}, mechanisms: ['ANONYMOUS'] } });
    await anonymous.opened;
    expect(anonymous.events[0]).toEqual({ type: 'sasl-outcome', ok: true, mechanism: 'ANONYMOUS' });
    expect((await anonymous.close()).error).toBeUndefined();

    // With default_user none (read at each connection), the plugin no longer offers ANONYMOUS.
    const before = rabbit!.rabbitmqctl(['eval', 'application:get_env(rabbitmq_amqp1_0, default_user).']).trim();
    const previous = /^\{ok,(.*)\}$/s.exec(before)?.[1];
    expect(previous).toBeDefined();
    rabbit!.rabbitmqctl(['eval', 'application:set_env(rabbitmq_amqp1_0, default_user, none).']);
    try {
      const refused = await dial({ sasl: { credentials: {}, mechanisms: ['ANONYMOUS'] } });
      const error = await refused.opened.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SaslError);
      expect((error as SaslError).description).toContain('(AMQPLAIN, PLAIN)');
      // A client skipping SASL gets RabbitMQ's SASL header back, which our engine reports as a header mismatch.
      const noSasl = await dial({});
      const mismatch = await noSasl.opened.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(mismatch).toMatchObject({ condition: 'amqp:not-implemented' });
      expect((mismatch as ConnectionError).description).toContain('got AMQP 3 1.0.0');
    } finally {
      rabbit!.rabbitmqctl(['eval', `application:set_env(rabbitmq_amqp1_0, default_user, ${previous}).`]);
    }
  });

  it('closes the connection cleanly', async () => {
    const closed = await connection!.close();
    expect(closed).toMatchObject({ type: 'connection-closed', initiator: 'local', error: undefined });
    expect(connection!.engine.isFinished).toBe(true);
  });
});
