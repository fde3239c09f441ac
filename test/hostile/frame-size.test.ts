/**
 * Issue 16, item 17: frames other than transfers against the peer's
 * max-frame-size. A peer that says 512 gets no frame larger than 512 from
 * the broker, not even a close whose reason quotes its own 2,000-character
 * link name (cut short instead); our client, asked to attach with a filter
 * that cannot fit, fails that receive with amqp:frame-size-too-small.
 */
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Condition, Container, receive, startBroker, type RunningBroker } from '../../src/index.js';
import type { Close } from '../../src/frames/types.js';
import { attach, listenRaw, LOOPBACK, RawPeer, source } from '../support/raw-peer.js';

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({ host: LOOPBACK, port: 0 });
});

afterAll(async () => {
  await broker?.stop();
});

describe("the peer's max-frame-size holds for every frame", () => {
  it('the broker ends a session whose link name no answer could carry within the peer max-frame-size', async () => {
    const peer = await RawPeer.connect(broker.port);
    await peer.openSession({ maxFrameSize: 512 });
    peer.sendFrame(0, attach({ name: 'n'.repeat(2000), handle: 0, role: 'receiver', source: source('fit') }));
    const end = await peer.nextBody('end');
    expect(end.error).toMatchObject({ condition: Condition.FrameSizeTooSmall });
    peer.destroy();
  });

  it('the broker closes a peer with max-frame-size 512 with a reason cut to fit, never a larger frame', async () => {
    const peer = await RawPeer.connect(broker.port);
    await peer.openSession({ maxFrameSize: 512 });
    // As long a name as an answer can carry.
    const name = 'n'.repeat(440);
    // The same link name twice: illegal, and the broker's reason quotes the name.
    peer.sendFrame(0, attach({ name, handle: 0, role: 'receiver', source: source('fit') }));
    peer.sendFrame(0, attach({ name, handle: 1, role: 'receiver', source: source('fit') }));
    const sizes: number[] = [];
    let close: Close | undefined;
    for (;;) {
      const frame = await peer.nextFrame();
      sizes.push(frame.size);
      if (frame.body?.type === 'close') {
        close = frame.body;
        break;
      }
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(512);
    expect(close?.error?.condition).toBeDefined();
    expect(close?.error?.description?.endsWith('…')).toBe(true);
    await peer.waitClosed();
  });

  it('our client fails a receive whose attach cannot fit the server max-frame-size; its other links go on', async () => {
    const raw = await listenRaw();
    try {
      const connection$ = new Container({ id: 'fit-client' }).connect(raw.url, { reconnect: false, sasl: { enabled: false } });
      // A receiver that fits keeps the connection in use.
      const other = receive(connection$, 'fits').subscribe({ error: () => undefined });
      const server = await raw.nextPeer();
      await server.answerSession({}, { maxFrameSize: 512 });
      expect((await server.nextBody('attach')).source?.address).toBe('fits');
      const failed = await firstValueFrom(receive(connection$, 'q', { selector: `color = '${'r'.repeat(1000)}'` })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failed).toMatchObject({ condition: Condition.FrameSizeTooSmall });
      // The connection is still there: the next receiver that fits attaches on it.
      const next = receive(connection$, 'fits-too').subscribe({ error: () => undefined });
      expect((await server.nextBody('attach')).source?.address).toBe('fits-too');
      expect(raw.peers).toHaveLength(1);
      next.unsubscribe();
      other.unsubscribe();
    } finally {
      await raw.close();
    }
  });
});
