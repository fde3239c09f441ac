/**
 * The harness itself: each real peer starts on loopback, answers an AMQP 1.0
 * protocol header with one of its own, and is gone (port closed) after stop().
 */
import { describe, it, expect, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import {
  buildProtonCExample,
  canConnect,
  exchangeProtocolHeader,
  isAmqpHeader,
  protonPython,
  startProtonCBroker,
  startProtonPythonBroker,
  startRabbitMq,
  PROTOCOL_AMQP,
  PROTOCOL_SASL,
  type RunningPeer,
} from './index.js';

const started: RunningPeer[] = [];
afterAll(async () => {
  await Promise.all(started.map((peer) => peer.stop()));
});

async function checkPeer(peer: RunningPeer, protocolId: number, expectedIds: readonly number[]): Promise<void> {
  started.push(peer);
  expect(peer.host).toBe('127.0.0.1');
  expect(peer.url).toBe(`amqp://127.0.0.1:${peer.port}`);
  const answer = await exchangeProtocolHeader(peer.host, peer.port, protocolId);
  expect(isAmqpHeader(answer), `answer ${Buffer.from(answer).toString('hex')}\n${peer.output()}`).toBe(true);
  expect(expectedIds).toContain(answer[4]);
  await peer.stop();
  expect(await canConnect(peer.host, peer.port)).toBe(false);
  await peer.stop(); // idempotent
}

describe('peer harness', () => {
  it('starts the Proton C example broker, which answers the AMQP header', async () => {
    // It allows SASL ANONYMOUS only, so it also accepts a client that skips SASL.
    await checkPeer(await startProtonCBroker(), PROTOCOL_AMQP, [PROTOCOL_AMQP]);
  });

  it('starts the Proton Python example broker, which answers the AMQP header', async () => {
    await checkPeer(await startProtonPythonBroker(), PROTOCOL_AMQP, [PROTOCOL_AMQP]);
  });

  it('starts a private RabbitMQ node, which answers the SASL header with the SASL header', async () => {
    // It offers ANONYMOUS, AMQPLAIN and PLAIN (username/password below).
    const rabbit = await startRabbitMq();
    expect(rabbit.username.length).toBeGreaterThan(0);
    expect(rabbit.password.length).toBeGreaterThan(0);
    // The user SASL PLAIN needs exists on the node.
    expect(rabbit.rabbitmqctl(['list_users', '--quiet'])).toContain(rabbit.username);
    await checkPeer(rabbit, PROTOCOL_SASL, [PROTOCOL_SASL]);
  }, 120_000);

  it('two brokers started at once get different ports', async () => {
    const [a, b] = await Promise.all([startProtonCBroker(), startProtonCBroker()]);
    started.push(a, b);
    expect(a.port).not.toBe(b.port);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('builds the Proton C send and receive examples and caches them', () => {
    for (const name of ['send', 'receive'] as const) {
      const binary = buildProtonCExample(name);
      expect(existsSync(binary)).toBe(true);
      expect(buildProtonCExample(name)).toBe(binary);
    }
  });

  it("points at Debian's Python, which has the proton module", () => {
    expect(protonPython()).toBe('/usr/bin/python3');
  });
});
