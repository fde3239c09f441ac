/**
 * The connection life cycle both roles share, with a role of the test's own:
 * one engine over one in-memory channel, a raw server engine on the other
 * end, in virtual time.
 */
import { describe, expect, it } from 'vitest';
import { of, VirtualTimeScheduler } from 'rxjs';
import { Engine } from '../../engine/engine.js';
import { ConnectionError } from '../../engine/errors.js';
import type { EngineEvent } from '../../engine/events.js';
import type { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { Open } from '../../frames/types.js';
import { EngineDriver } from '../../transport/driver.js';
import { memoryPair } from '../../transport/memory/memory-pair.js';
import { TransportError } from '../../transport/transport-error.js';
import type { ByteChannel } from '../../transport/transport.js';
import { Connection, type ConnectionControl } from './connection.js';
import type { ConnectionContext } from './context.js';
import { ConnectionRunner, type ConnectionRole } from './runner.js';

function rig(options: { serverOpens?: boolean; openTimeout?: number; connectionFor?: () => never } = {}) {
  const scheduler = new VirtualTimeScheduler();
  const [ours, theirs] = memoryPair({ scheduler });
  const log: string[] = [];
  const errors: AmqpError[] = [];
  const context: ConnectionContext = { containerId: 'us', scheduler, nextConnectionId: () => 1 };
  // The peer: a server engine that opens when asked to.
  const server = new Engine({ role: 'server', containerId: 'them' });
  const serverEvents: string[] = [];
  new EngineDriver<EngineEvent>(server, theirs, { scheduler }).events$.subscribe({
    next: (event) => {
      serverEvents.push(event.type === 'connection-closed' ? `closed${event.error === undefined ? '' : ` ${event.error.condition}`}` : event.type);
      if (event.type === 'connection-opened' && options.serverOpens !== false) server.open();
    },
    error: () => serverEvents.push('error'),
  });
  const role: ConnectionRole<Connection> = {
    peerAddress: 'amqp://them',
    label: 'connection to amqp://them',
    closeTimeout: 1000,
    engineFor: () => new Engine({ role: 'client', containerId: 'us', hostname: 'them' }),
    connectionFor: (open: Open, engine: Engine, control: ConnectionControl, _channel: ByteChannel) => {
      if (options.connectionFor !== undefined) options.connectionFor();
      return new Connection(context, 1, 'amqp://them', undefined, open, engine, control);
    },
    opened: () => log.push(`opened at ${scheduler.now()}`),
    saslRequest: () => log.push('sasl'),
    closeRequested: (runner) => {
      log.push('close requested');
      runner.shutdown();
    },
    lost: (error) => {
      errors.push(error);
      log.push(`lost at ${scheduler.now()}`);
    },
    closedHere: () => new ConnectionError(Condition.ConnectionForced, 'closed here'),
    done: () => log.push(`done at ${scheduler.now()}`),
  };
  const runner = new ConnectionRunner(scheduler, role);
  if (options.openTimeout !== undefined) {
    runner.armOpenTimer(options.openTimeout, () => new TransportError('no open in time', { code: 'ETIMEDOUT', address: 'amqp://them' }));
  }
  runner.run(ours);
  const run = (until = Infinity) => {
    scheduler.maxFrames = until;
    scheduler.flush();
  };
  return { scheduler, runner, log, errors, serverEvents, run };
}

describe('ConnectionRunner', () => {
  it('opens, and on close() exchanges close frames, then ends once: the role hears opened, close requested, done', () => {
    const { runner, log, errors, serverEvents, run } = rig();
    run();
    expect(log).toEqual(['opened at 0']);
    const connection = runner.connection!;
    expect(connection.remoteContainerId).toBe('them');
    let closed = 0;
    runner.close().subscribe(() => closed++);
    run();
    expect(log).toEqual(['opened at 0', 'close requested', 'done at 0']);
    expect(serverEvents).toContain('closed');
    expect(closed).toBe(1);
    expect(errors).toEqual([]);
    // The connection's links see a close of ours, not an error of theirs.
    expect(connection.lostError?.description).toBe('closed here');
  });

  it("the peer never opens: the open timer drops the socket and the role loses with the timer's error", () => {
    const { log, errors, run } = rig({ serverOpens: false, openTimeout: 500 });
    run();
    expect(log).toEqual(['lost at 500', 'done at 500']);
    expect(errors[0]).toBeInstanceOf(TransportError);
    expect((errors[0] as TransportError).code).toBe('ETIMEDOUT');
  });

  it('a handler of ours throws: the connection closes with amqp:internal-error and the role loses with it, not the process', () => {
    const { log, errors, serverEvents, run } = rig({
      connectionFor: () => {
        throw new Error('bug');
      },
    });
    run();
    expect(errors.map((e) => [e.condition, e.description])).toEqual([[Condition.InternalError, 'internal error: bug']]);
    expect(serverEvents).toContain(`closed ${Condition.InternalError}`);
    expect(log.at(-1)).toMatch(/^done at/);
  });

  it('what the role holds (a dial, a token fetch, SASL work) ends with the runner, and at once once it is done', () => {
    const { runner, run } = rig();
    run();
    const ended: string[] = [];
    runner.hold(() => ended.push('dial'));
    runner.shutdown();
    run();
    expect(ended).toEqual(['dial']);
    runner.hold(() => ended.push('late'));
    expect(ended).toEqual(['dial', 'late']);
    // A SASL answer that comes after the end is dropped, not thrown.
    expect(() => runner.answerSaslLater(of({ kind: 'loaded' as const }))).not.toThrow();
  });
});
