import { describe, expect, it, vi } from 'vitest';
import { EnginePair } from '../testing/engine-pair.js';
import { traceFromEnv } from './trace.js';

describe('protocol trace', () => {
  it('traceFromEnv logs only when PN_TRACE_FRM is set', () => {
    expect(traceFromEnv({})).toBeUndefined();
    expect(traceFromEnv({ PN_TRACE_FRM: '0' })).toBeUndefined();
    const trace = traceFromEnv({ PN_TRACE_FRM: '1' }, 'client ');
    expect(trace).toBeTypeOf('function');
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    trace!('[0] -> @open');
    expect(spy).toHaveBeenCalledWith('client [0] -> @open');
    spy.mockRestore();
  });

  it('describes every frame in and out, one line each', () => {
    const lines: string[] = [];
    const pair = new EnginePair({ client: { trace: (l) => lines.push(l), idleTimeOut: 200 }, server: { idleTimeOut: 200 } });
    const s = pair.openSession();
    const link = pair.attachLink(s, { name: 'l', role: 'sender' });
    pair.server.flow(link.server, { credit: 1 });
    pair.pump();
    pair.client.send(link.client, { payload: Uint8Array.of(1, 2, 3) });
    pair.pump();
    pair.advance(60);
    pair.client.close();
    pair.pump();
    const expected = [
      /^\[0\] -> AMQP 0 1\.0\.0$/,
      /^\[0\] -> @open/,
      /^\[0\] <- AMQP 0 1\.0\.0$/,
      /^\[0\] <- @open/,
      /^\[0\] -> @begin/,
      /^\[0\] <- @begin/,
      /^\[0\] -> @attach/,
      /^\[0\] <- @attach/,
      /^\[0\] <- @flow/,
      /^\[0\] -> @transfer\(\S+\) \[handle=0, delivery-id=0, delivery-tag=b"\\x00\\x00\\x00\\x00".*\(payload 3 bytes\)$/,
      /^\[0\] <- @disposition|^\[0\] <- \(empty frame\)/,
    ];
    let at = 0;
    for (const re of expected) {
      const found = lines.findIndex((l, i) => i >= at && re.test(l));
      expect(found, `${re} after line ${at} in\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
    expect(lines.some((l) => l === '[0] -> (empty frame)')).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/^\[0\] <- @close/);
  });
});
