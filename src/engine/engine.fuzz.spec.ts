import { describe, expect, it } from 'vitest';
import { captureConversation, fuzzEngine } from '../testing/fuzz.js';

describe('engine fuzzing', () => {
  it('captures a conversation of both kinds (plain and SASL)', () => {
    const plain = captureConversation(false);
    const sasl = captureConversation(true);
    expect(plain.client[4]).toBe(0);
    expect(sasl.client[4]).toBe(3);
    expect(plain.client.length).toBeGreaterThan(2000);
    expect(plain.server.length).toBeGreaterThan(200);
  });

  it('survives mutated and random input: no exception, well-formed output, errors end what they say', () => {
    const report = fuzzEngine({ iterations: 3000, seed: 12345 });
    expect(report.failures.map((f) => `#${f.iteration} ${f.side}: ${f.reason}`)).toEqual([]);
    // The fuzzer reaches every kind of protocol error.
    expect(report.protocolErrors.connection).toBeGreaterThan(100);
    expect(report.protocolErrors.session).toBeGreaterThan(0);
    expect(report.protocolErrors.link).toBeGreaterThan(0);
  });

  it('is deterministic for a seed', () => {
    const a = fuzzEngine({ iterations: 50, seed: 7 });
    const b = fuzzEngine({ iterations: 50, seed: 7 });
    expect(a.bytesFed).toBe(b.bytesFed);
    expect(a.protocolErrors).toEqual(b.protocolErrors);
  });
});
