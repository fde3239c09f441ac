/**
 * The browser's tracer (package.json's `browser` field maps frame-tracer.js
 * to it; here vi.mock does the same): the formatter loads on first use, the
 * lines written meanwhile wait for it and come out in order, the same lines
 * as in Node; a formatter that cannot load still leaves a trace by type.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EnginePair } from '../testing/engine-pair.js';

afterEach(() => {
  vi.doUnmock('./frame-tracer.js');
  vi.doUnmock('../frames/describe.js');
  vi.resetModules();
});

/** The open, begin and close of a traced client, and the lines it wrote before and after the formatter loaded. */
async function tracedSession(browser: boolean): Promise<{ atOnce: string[]; lines: string[] }> {
  vi.resetModules();
  if (browser) vi.doMock('./frame-tracer.js', () => import('./frame-tracer.browser.js'));
  const { EnginePair: Pair } = (await import('../testing/engine-pair.js')) as { EnginePair: typeof EnginePair };
  const lines: string[] = [];
  const pair = new Pair({ client: { trace: (l) => lines.push(l) } });
  pair.openSession();
  const atOnce = [...lines];
  await vi.waitFor(() => expect(lines.length).toBeGreaterThan(0));
  pair.client.close();
  pair.pump();
  return { atOnce, lines };
}

describe('frame trace in browser bundles (the formatter loaded on first use)', () => {
  it('holds the lines until the formatter loads, then writes them in order: the same lines as Node writes at once', async () => {
    const node = await tracedSession(false);
    const browser = await tracedSession(true);
    expect(node.atOnce.length).toBeGreaterThanOrEqual(6);
    expect(browser.atOnce).toEqual([]);
    expect(browser.lines).toEqual(node.lines);
    expect(browser.lines[1]).toMatch(/^\[0\] -> @open\(16\) \[container-id="client"/);
    expect(browser.lines[browser.lines.length - 1]).toMatch(/^\[0\] <- @close\(24\)/);
  });

  it('a tracer made once the formatter is loaded writes at once', async () => {
    vi.resetModules();
    const { frameTracer } = await import('./frame-tracer.browser.js');
    const first: string[] = [];
    frameTracer((l) => first.push(l)).line('x');
    await vi.waitFor(() => expect(first).toEqual(['x']));
    const lines: string[] = [];
    const tracer = frameTracer((l) => lines.push(l));
    tracer.frame({ frameType: 0, channel: 3, body: { type: 'end', error: undefined }, payload: undefined, size: 0 }, 'in');
    expect(lines).toEqual(['[3] <- @end(23) []']);
  });

  it('a formatter that does not load leaves each frame by type, after a line saying why, and the next tracer tries again', async () => {
    vi.resetModules();
    vi.doMock('../frames/describe.js', () => {
      throw new Error('chunk offline');
    });
    const { frameTracer } = await import('./frame-tracer.browser.js');
    const lines: string[] = [];
    const tracer = frameTracer((l) => lines.push(l));
    tracer.line('[0] -> AMQP 0 1.0.0');
    tracer.frame({ frameType: 0, channel: 0, body: undefined, payload: undefined, size: 0 }, 'out');
    await vi.waitFor(() => expect(lines.length).toBe(3));
    expect(lines[0]).toMatch(/^\(the frame formatter did not load: .+; frames shown by type\)$/);
    expect(lines.slice(1)).toEqual(['[0] -> AMQP 0 1.0.0', '[0] -> (empty frame)']);
    tracer.frame({ frameType: 0, channel: 1, body: { type: 'end', error: undefined }, payload: undefined, size: 0 }, 'in');
    expect(lines[3]).toBe('[1] <- @end');
    vi.doUnmock('../frames/describe.js');
    const again: string[] = [];
    frameTracer((l) => again.push(l)).frame({ frameType: 0, channel: 1, body: { type: 'end', error: undefined }, payload: undefined, size: 0 }, 'in');
    await vi.waitFor(() => expect(again).toEqual(['[1] <- @end(23) []']));
  });

  it('keeps at most HELD_BYTES while the formatter loads, then says how many lines it did not keep', async () => {
    vi.resetModules();
    const { frameTracer, HELD_BYTES } = await import('./frame-tracer.browser.js');
    const lines: string[] = [];
    const tracer = frameTracer((l) => lines.push(l));
    const long = 'x'.repeat(HELD_BYTES / 5); // 2 bytes a character: two fit, the third does not
    for (let i = 0; i < 4; i++) tracer.line(`${i}${long}`);
    await vi.waitFor(() => expect(lines.length).toBe(3));
    expect(lines.slice(0, 2).map((l) => l[0])).toEqual(['0', '1']);
    expect(lines[2]).toBe(`(2 more lines not traced: over ${HELD_BYTES} bytes waited for the frame formatter to load)`);
    tracer.line('later');
    expect(lines[3]).toBe('later');
  });
});
