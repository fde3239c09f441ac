/**
 * A peer that grants all the credit there is (2^32-1, window too) and never
 * reads its socket. Our sender must not write everything it was given credit
 * for into the transport (Node's socket keeps whatever it is given, without
 * bound): above a backlog of 4 MiB it stops taking messages out of its
 * bounded buffer, so a pushed stream meets its overflow policy and a pulled
 * one (sendFrom) is asked for nothing more, until the peer reads again.
 */
import { interval, lastValueFrom, map, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Container, send, sendFrom, SendOverflowError, type Connection } from '../../src/index.js';
import { grantAllAndStopReading, listenRaw } from '../support/raw-peer.js';

const LIMIT = 4 << 20;
const BODY = new Uint8Array(64 * 1024);

/** The largest backlog the connection reports, sampled until `done` settles. */
function sampleBacklog(connection: Connection, done: Promise<unknown>): Promise<number> {
  let largest = 0;
  const timer = setInterval(() => {
    largest = Math.max(largest, (connection.unsentBytes() ?? 0) + connection.engine.pendingOutputBytes());
  }, 1);
  return done
    .then(
      () => largest,
      () => largest,
    )
    .finally(() => clearInterval(timer));
}

describe('a peer that grants 2^32-1 credit and never reads', () => {
  it('send(): the stream meets its buffer bound, and the transport holds about the limit, not every message', async () => {
    const raw = await listenRaw();
    try {
      const connection$ = new Container({ id: 'never-reads-send' }).connect(raw.url, { reconnect: false, sasl: { enabled: false } });
      const connected = lastValueFrom(connection$.pipe(take(1)));
      let pushed = 0;
      // The natural shape: a producer that keeps pushing, ~1,000 messages of 64 KiB a second.
      const outcome = lastValueFrom(
        interval(1).pipe(
          map(() => {
            pushed++;
            return { body: BODY };
          }),
          send(connection$, 'q', { bufferBytes: 8 << 20 }),
          toArray(),
        ),
      );
      const failed = outcome.then(
        () => undefined,
        (error: unknown) => error,
      );
      await grantAllAndStopReading(raw);
      const largest = await sampleBacklog(await connected, failed);
      const error = await failed;
      expect(error).toBeInstanceOf(SendOverflowError);
      expect((error as SendOverflowError).option).toBe('bufferBytes');
      // Held by us: at most the limit and the few messages of a pass over it; the rest is in the kernel's buffers.
      expect(largest).toBeLessThan(LIMIT + 16 * BODY.length);
      // Without the bound every pushed message would have been written; with it, most waited in the buffer.
      expect(pushed).toBeGreaterThan(8 << 4);
    } finally {
      await raw.close();
    }
  }, 10_000);

  it('send(): with a session window of one frame, what waits for the window in the engine counts too', async () => {
    const raw = await listenRaw();
    try {
      const connection$ = new Container({ id: 'one-frame-window' }).connect(raw.url, { reconnect: false, sasl: { enabled: false } });
      const connected = lastValueFrom(connection$.pipe(take(1)));
      const failed = lastValueFrom(
        interval(1).pipe(
          map(() => ({ body: BODY })),
          send(connection$, 'q', { bufferBytes: 8 << 20 }),
        ),
      ).then(
        () => undefined,
        (error: unknown) => error,
      );
      await grantAllAndStopReading(raw, 1);
      const largest = await sampleBacklog(await connected, failed);
      expect(await failed).toBeInstanceOf(SendOverflowError);
      expect(largest).toBeLessThan(LIMIT + 16 * BODY.length);
    } finally {
      await raw.close();
    }
  }, 10_000);

  it('sendFrom(): once the peer reads again, every message goes out (the wait ends)', async () => {
    const raw = await listenRaw();
    try {
      const connection$ = new Container({ id: 'reads-again' }).connect(raw.url, { reconnect: false, sasl: { enabled: false } });
      const count = 200; // 12.5 MiB: three times the limit
      const subscription = sendFrom(
        connection$,
        'q',
        Array.from({ length: count }, () => ({ body: BODY })),
      ).subscribe({ error: () => undefined });
      const server = await grantAllAndStopReading(raw);
      await new Promise((resolve) => setTimeout(resolve, 300));
      server.socket.resume();
      let whole = 0;
      while (whole < count) if (!(await server.nextBody('transfer')).more) whole++;
      expect(whole).toBe(count);
      subscription.unsubscribe();
    } finally {
      await raw.close();
    }
  }, 10_000);

  it('sendFrom(): an endless iterable is asked for no more once the backlog is over the limit, and the process stays responsive', async () => {
    const raw = await listenRaw();
    try {
      const connection$ = new Container({ id: 'never-reads-pull' }).connect(raw.url, { reconnect: false, sasl: { enabled: false } });
      const connected = lastValueFrom(connection$.pipe(take(1)));
      let pulled = 0;
      function* endless(): Generator<{ body: Uint8Array }> {
        for (;;) {
          pulled++;
          yield { body: BODY };
        }
      }
      const subscription = sendFrom(connection$, 'q', endless()).subscribe({ error: () => undefined });
      await grantAllAndStopReading(raw);
      const connection = await connected;
      // Timers still run (a synchronous pull of 2^32-1 messages would block them), and the pulling stops.
      const largest = await sampleBacklog(connection, new Promise((resolve) => setTimeout(resolve, 500)));
      const after = pulled;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(pulled).toBe(after);
      expect(largest).toBeLessThan(LIMIT + 16 * BODY.length);
      expect((connection.unsentBytes() ?? 0) + connection.engine.pendingOutputBytes()).toBeLessThan(LIMIT + 16 * BODY.length);
      subscription.unsubscribe();
    } finally {
      await raw.close();
    }
  }, 10_000);
});
