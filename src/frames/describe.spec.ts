import { describe, expect, it } from 'vitest';
import { Described, symbol, uint } from '../codec/types.js';
import { describeFrame } from './describe.js';
import type { AmqpFrame, Performative, SaslFrame, SaslPerformative } from './types.js';

const amqp = (channel: number, body: Performative | undefined, payload?: Uint8Array): AmqpFrame => ({ frameType: 0, channel, body, payload, size: 0 });
const sasl = (body: SaslPerformative): SaslFrame => ({ frameType: 1, channel: 0, body, size: 0 });

describe('describeFrame', () => {
  it('prints open like PN_TRACE_FRM, omitting absent and default fields', () => {
    const line = describeFrame(amqp(0, { type: 'open', containerId: 'x', maxFrameSize: 65536, channelMax: 65535 }), 'out');
    expect(line).toBe('[0] -> @open(16) [container-id="x", max-frame-size=65536]');
  });

  it('marks incoming frames with <- and summarises the payload by size', () => {
    const line = describeFrame(
      amqp(
        1,
        {
          type: 'transfer',
          handle: 0,
          deliveryId: 7,
          deliveryTag: new Uint8Array([0, 0x41]),
          messageFormat: 0,
          more: true,
          resume: false,
          aborted: false,
          batchable: false,
          state: { type: 'accepted' },
        },
        new Uint8Array(42),
      ),
      'in',
    );
    expect(line).toBe(
      '[1] <- @transfer(20) [handle=0, delivery-id=7, delivery-tag=b"\\x00A", message-format=0, more=true, state=@accepted(36) []] (payload 42 bytes)',
    );
  });

  it('prints empty frames', () => {
    expect(describeFrame(amqp(3, undefined), 'in')).toBe('[3] <- (empty frame)');
  });

  it('prints choices by name, symbols with a colon, nested terminus and errors', () => {
    const attach = describeFrame(
      amqp(0, {
        type: 'attach',
        name: 'l',
        handle: 1,
        role: 'receiver',
        sndSettleMode: 'settled',
        rcvSettleMode: 'first',
        source: {
          type: 'source',
          address: 'q',
          durable: 'none',
          expiryPolicy: 'never',
          timeout: 0,
          dynamic: false,
          capabilities: ['queue'],
          filter: { f: new Described(0x468c00000004n, 'a=1') },
        },
        incompleteUnsettled: false,
        properties: { p: symbol('v'), n: uint(3) },
      }),
      'out',
    );
    expect(attach).toBe(
      '[0] -> @attach(18) [name="l", handle=1, role=receiver, snd-settle-mode=settled, ' +
        'source=@source(40) [address="q", expiry-policy=never, filter={:f=@0x468c00000004 "a=1"}, capabilities=[:queue]], ' +
        'properties={:p=:v, :n=3}]',
    );
    const close = describeFrame(amqp(0, { type: 'close', error: { condition: 'amqp:not-found', description: 'no queue' } }), 'in');
    expect(close).toBe('[0] <- @close(24) [error=@error(29) [condition=:amqp:not-found, description="no queue"]]');
  });

  it('redacts SASL credentials, showing only their size', () => {
    const secret = new TextEncoder().encode('\0user\0hunter2');
    const init = describeFrame(sasl({ type: 'sasl-init', mechanism: 'PLAIN', initialResponse: secret, hostname: 'h' }), 'out');
    expect(init).toBe('[0] -> @sasl-init(65) [mechanism=:PLAIN, initial-response=<redacted 13 bytes>, hostname="h"]');
    const response = describeFrame(sasl({ type: 'sasl-response', response: secret }), 'out');
    expect(response).toBe('[0] -> @sasl-response(67) [response=<redacted 13 bytes>]');
    const challenge = describeFrame(sasl({ type: 'sasl-challenge', challenge: secret }), 'in');
    expect(challenge).toBe('[0] <- @sasl-challenge(66) [challenge=<redacted 13 bytes>]');
    expect(init + response + challenge).not.toMatch(/hunter2/);
  });

  it('prints SASL mechanisms and outcome', () => {
    expect(describeFrame(sasl({ type: 'sasl-mechanisms', saslServerMechanisms: ['PLAIN', 'ANONYMOUS'] }), 'in')).toBe(
      '[0] <- @sasl-mechanisms(64) [sasl-server-mechanisms=[:PLAIN, :ANONYMOUS]]',
    );
    expect(describeFrame(sasl({ type: 'sasl-outcome', code: 'ok' }), 'in')).toBe('[0] <- @sasl-outcome(68) [code=ok]');
  });
});
