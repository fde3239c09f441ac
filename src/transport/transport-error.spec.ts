import { describe, expect, it } from 'vitest';
import { AmqpError } from '../errors/amqp-error.js';
import { Condition } from '../errors/conditions.js';
import { TransportError } from './transport-error.js';
import { formatAddress } from './transport.js';

describe('TransportError', () => {
  it('is an AmqpError of scope transport and condition amqp:internal-error', () => {
    const error = new TransportError('connection to h:1 failed', { code: 'ECONNRESET', address: 'h:1' });
    expect(error).toBeInstanceOf(AmqpError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TransportError');
    expect(error.scope).toBe('transport');
    expect(error.condition).toBe(Condition.InternalError);
    expect(error.code).toBe('ECONNRESET');
    expect(error.address).toBe('h:1');
    // The condition is a placeholder (the peer said nothing), so the message leaves it out.
    expect(error.message).toBe('connection to h:1 failed');
    expect(error.remote).toBe(false);
  });

  it('from() wraps a Node-style error, keeping its code and the error as cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5672'), { code: 'ECONNREFUSED' });
    const error = TransportError.from(cause, '127.0.0.1:5672', 'connection to 127.0.0.1:5672');
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.cause).toBe(cause);
    expect(error.address).toBe('127.0.0.1:5672');
    expect(error.description).toBe('connection to 127.0.0.1:5672 failed: connect ECONNREFUSED 127.0.0.1:5672');
    expect(error.message).toBe(error.description);
  });

  it('from() passes a TransportError through and copes with values that are not errors', () => {
    const original = new TransportError('x');
    expect(TransportError.from(original, 'a:1', 'doing')).toBe(original);
    const fromString = TransportError.from('boom', 'a:1', 'doing');
    expect(fromString.code).toBeUndefined();
    expect(fromString.description).toBe('doing failed: boom');
    expect(TransportError.from({ code: 42 }, 'a:1', 'doing').code).toBeUndefined();
  });
});

describe('formatAddress', () => {
  it('brackets IPv6 hosts only', () => {
    expect(formatAddress('127.0.0.1', 5672)).toBe('127.0.0.1:5672');
    expect(formatAddress('example.com', 5671)).toBe('example.com:5671');
    expect(formatAddress('::1', 5672)).toBe('[::1]:5672');
    expect(formatAddress('::ffff:127.0.0.1', 1)).toBe('[::ffff:127.0.0.1]:1');
  });
});
