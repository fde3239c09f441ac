import { describe, expect, it } from 'vitest';
import { NEVER, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { AmqpError } from '../errors/amqp-error.js';
import { Condition } from '../errors/conditions.js';
import { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { ChannelInput } from './channel-input.js';
import { EngineDriver, type EngineLike } from './driver.js';
import { memoryPair } from './memory/memory-pair.js';
import { TransportError } from './transport-error.js';
import type { ByteChannel } from './transport.js';

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

type FakeEvent = { readonly type: 'got'; readonly text: string } | { readonly type: 'ticked'; readonly at: number } | { readonly type: 'bye' };

/** An engine that logs its calls and does what each test scripts. */
class FakeEngine implements EngineLike<FakeEvent> {
  readonly log: string[] = [];
  deadline: number | undefined;
  finished = false;
  onFeed: (text: string, now: number) => void = () => {};
  onTick: (now: number) => void = () => {};
  onEof: (now: number) => void = () => {
    this.finished = true;
  };
  private output: string[] = [];
  private events: FakeEvent[] = [];

  queue(text: string): void {
    this.output.push(text);
  }
  emit(event: FakeEvent): void {
    this.events.push(event);
  }
  feed(bytes: Uint8Array, now: number): void {
    const text = decode(bytes);
    this.log.push(`feed ${text}@${now}`);
    this.onFeed(text, now);
  }
  feedEof(now: number): void {
    this.log.push(`eof@${now}`);
    this.onEof(now);
  }
  tick(now: number): number | undefined {
    this.log.push(`tick@${now}`);
    this.onTick(now);
    return this.deadline;
  }
  nextDeadline(): number | undefined {
    return this.deadline;
  }
  takeOutput(): Uint8Array | undefined {
    if (this.output.length === 0) return undefined;
    const text = this.output.join('');
    this.output = [];
    return encode(text);
  }
  nextEvent(): FakeEvent | undefined {
    return this.events.shift();
  }
  get isFinished(): boolean {
    return this.finished;
  }
}

/** A channel whose input is any Observable (a marble), logging what the driver does to it. */
class FakeChannel implements ByteChannel {
  readonly log: string[] = [];
  readonly secure = false;
  readonly peerIdentity = undefined;
  readonly localAddress = 'fake:1';
  readonly remoteAddress = 'fake:2';
  constructor(
    readonly input: Observable<Uint8Array>,
    readonly now: () => number,
  ) {}
  write(chunk: Uint8Array): void {
    this.log.push(`write ${decode(chunk)}@${this.now()}`);
  }
  end(): void {
    this.log.push(`end@${this.now()}`);
  }
  destroy(error?: Error): void {
    this.log.push(`destroy${error === undefined ? '' : ` ${error.message}`}@${this.now()}`);
  }
}

function newTestScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Runs `body` in virtual time with a fake engine and a fake channel fed by `inputMarbles`. */
function runDriver(
  inputMarbles: string,
  body: (tools: {
    engine: FakeEngine;
    channel: FakeChannel;
    driver: EngineDriver<FakeEvent>;
    scheduler: TestScheduler;
    expectObservable: TestScheduler['expectObservable'];
  }) => void,
  inputError?: unknown,
): { engine: FakeEngine; channel: FakeChannel } {
  const scheduler = newTestScheduler();
  const engine = new FakeEngine();
  let channel!: FakeChannel;
  scheduler.run(({ cold, expectObservable }) => {
    const chunks: Record<string, Uint8Array> = {};
    for (const letter of inputMarbles.replace(/[^a-z]/g, '')) chunks[letter] = encode(letter === 'p' ? 'ping' : letter);
    const input = inputMarbles === 'never' ? (NEVER as Observable<Uint8Array>) : cold(inputMarbles, chunks, inputError);
    channel = new FakeChannel(input, () => scheduler.now());
    const driver = new EngineDriver(engine, channel, { scheduler });
    body({ engine, channel, driver, scheduler, expectObservable });
  });
  return { engine, channel };
}

describe('EngineDriver with a fake engine, in virtual time', () => {
  it('feeds each chunk at scheduler time, emits the events, then writes the output of that step', () => {
    const { engine, channel } = runDriver('-p--x--|', ({ engine, driver, expectObservable }) => {
      engine.onFeed = (text) => {
        engine.emit({ type: 'got', text });
        engine.queue(`re:${text};`);
      };
      expectObservable(driver.events$).toBe('-a--b--|', { a: { type: 'got', text: 'ping' }, b: { type: 'got', text: 'x' } });
    });
    expect(engine.log).toEqual(['feed ping@1', 'feed x@4', 'eof@7']);
    expect(channel.log).toEqual(['write re:ping;@1', 'write re:x;@4', 'end@7']);
  });

  it('writes what the engine queued before events$ was subscribed (the protocol header) at once', () => {
    const { channel } = runDriver('---|', ({ engine, driver }) => {
      engine.queue('AMQP');
      driver.events$.subscribe();
    });
    expect(channel.log).toEqual(['write AMQP@0', 'end@3']);
  });

  it("writes output that event handlers queue in the same step's single write", () => {
    const { channel } = runDriver('-p-|', ({ engine, driver }) => {
      engine.onFeed = () => {
        engine.emit({ type: 'got', text: 'ping' });
        engine.queue('pong;');
      };
      driver.events$.subscribe(() => engine.queue('ack;'));
    });
    expect(channel.log).toEqual(['write pong;ack;@1', 'end@3']);
  });

  it("writes an engine's output chunks as they are, in order, skipping empty ones", () => {
    const { channel } = runDriver('-p-|', ({ engine, driver }) => {
      const chunked = engine as FakeEngine & { takeOutputChunks?: () => Uint8Array[] | undefined };
      chunked.takeOutputChunks = () => {
        const whole = engine.takeOutput();
        return whole === undefined ? undefined : [whole, new Uint8Array(0), encode('+more')];
      };
      engine.onFeed = () => engine.queue('pong');
      driver.events$.subscribe();
    });
    expect(channel.log).toEqual(['write pong@1', 'write +more@1', 'end@3']);
  });

  it("hands each step's chunks to writev when the channel has it, and tells the engine when they were written", () => {
    for (const written of [true, false]) {
      let released = 0;
      const { channel } = runDriver('-p-|', ({ engine, channel, driver }) => {
        const chunked = engine as FakeEngine & { takeOutputChunks?: () => Uint8Array[] | undefined; outputWritten?: () => void };
        chunked.takeOutputChunks = () => {
          const whole = engine.takeOutput();
          return whole === undefined ? undefined : [whole, encode('+more')];
        };
        chunked.outputWritten = () => released++;
        const vectored = channel as FakeChannel & { writev?: (chunks: readonly Uint8Array[]) => boolean };
        vectored.writev = (chunks) => {
          channel.log.push(`writev ${chunks.map(decode).join('|')}@${channel.now()}`);
          return written;
        };
        engine.onFeed = () => engine.queue('pong');
        driver.events$.subscribe();
      });
      expect(channel.log).toEqual(['writev pong|+more@1', 'end@3']);
      expect(released).toBe(written ? 1 : 0);
    }
  });

  it('delivers an event queued while output is taken (like the engine\'s "finished") before completing', () => {
    const events: FakeEvent[] = [];
    runDriver('-|', ({ engine, driver }) => {
      const take = engine.takeOutput.bind(engine);
      let said = false;
      engine.takeOutput = () => {
        if (engine.finished && !said) {
          said = true;
          engine.emit({ type: 'bye' });
        }
        return take();
      };
      driver.events$.subscribe((event) => events.push(event));
    });
    expect(events).toEqual([{ type: 'bye' }]);
  });

  it('flush(): commands given in one turn leave in one write, on the scheduler', () => {
    const { channel } = runDriver('never', ({ engine, channel, driver, scheduler }) => {
      driver.flush(); // before subscription: nothing to do yet
      driver.events$.subscribe();
      scheduler.schedule(() => {
        engine.queue('attach;');
        driver.flush();
        engine.queue('flow;');
        driver.flush();
        expect(channel.log).toEqual([]);
      }, 5);
      scheduler.schedule(() => driver.events$.subscribe({ error: () => {} }).unsubscribe(), 9);
    });
    expect(channel.log).toEqual(['write attach;flow;@5']);
  });

  it('arms one timer at the deadline, ticks, and re-arms it at the deadline tick returns', () => {
    const { engine } = runDriver('never', ({ engine, driver, expectObservable }) => {
      engine.deadline = 100;
      engine.onTick = (now) => {
        engine.emit({ type: 'ticked', at: now });
        engine.deadline = now === 100 ? 250 : undefined;
      };
      expectObservable(driver.events$, '^ 999ms !').toBe('100ms a 149ms b', { a: { type: 'ticked', at: 100 }, b: { type: 'ticked', at: 250 } });
    });
    expect(engine.log).toEqual(['tick@100', 'tick@250']);
  });

  it('moves the timer earlier when the deadline moves earlier', () => {
    const { engine } = runDriver('10ms p', ({ engine, driver }) => {
      engine.deadline = 100;
      engine.onFeed = () => (engine.deadline = 40);
      engine.onTick = () => (engine.deadline = undefined);
      driver.events$.subscribe();
    });
    expect(engine.log).toEqual(['feed ping@10', 'tick@40']);
  });

  it('keeps an earlier timer when the deadline moves later: it ticks early, then re-arms', () => {
    const { engine } = runDriver('10ms p', ({ engine, driver }) => {
      engine.deadline = 100;
      engine.onFeed = () => (engine.deadline = 300);
      engine.onTick = (now) => (engine.deadline = now < 300 ? 300 : undefined);
      driver.events$.subscribe();
    });
    expect(engine.log).toEqual(['feed ping@10', 'tick@100', 'tick@300']);
  });

  it('ticks 1 ms later when the deadline has passed (never at delay 0), and cancels the timer when there is none', () => {
    const { engine } = runDriver('5ms p 9ms x', ({ engine, driver }) => {
      engine.deadline = 50;
      engine.onFeed = (text) => (engine.deadline = text === 'ping' ? 2 : undefined);
      engine.onTick = () => (engine.deadline = 30);
      driver.events$.subscribe();
    });
    expect(engine.log).toEqual(['feed ping@5', 'tick@6', 'feed x@15']);
  });

  it('an engine whose deadline never leaves the past is ticked once a millisecond, not in a loop', () => {
    const { engine } = runDriver('never', ({ engine, driver, scheduler }) => {
      engine.deadline = 0;
      engine.onTick = (now) => (engine.deadline = now); // "call me again at once", for ever
      const subscription = driver.events$.subscribe();
      scheduler.schedule(() => subscription.unsubscribe(), 100);
    });
    expect(engine.log.length).toBeGreaterThan(50);
    expect(engine.log.length).toBeLessThanOrEqual(100);
    expect(engine.log.slice(0, 3)).toEqual(['tick@1', 'tick@2', 'tick@3']);
  });

  it('a deadline beyond what timers take (2^31-1 ms) ticks early at that limit and re-arms', () => {
    const { engine } = runDriver('never', ({ engine, driver, scheduler }) => {
      engine.deadline = 2 ** 40;
      engine.onTick = () => undefined;
      const subscription = driver.events$.subscribe();
      scheduler.schedule(() => subscription.unsubscribe(), 2 ** 32);
    });
    expect(engine.log).toEqual(['tick@2147483647', 'tick@4294967294']);
  });

  it('on end of input calls feedEof; completes only once the engine finishes, and then ends the channel', () => {
    const { engine, channel } = runDriver('-p|', ({ engine, driver, expectObservable }) => {
      engine.onEof = () => (engine.deadline = 10); // not finished yet: a close still to write
      engine.onTick = () => {
        engine.queue('close;');
        engine.finished = true;
        engine.deadline = undefined;
      };
      expectObservable(driver.events$).toBe('10ms |');
    });
    expect(engine.log).toEqual(['feed ping@1', 'eof@2', 'tick@10']);
    expect(channel.log).toEqual(['write close;@10', 'end@10']);
  });

  it('when the engine finishes first, ends the channel, discards further input and completes at end of input', () => {
    const { engine, channel } = runDriver('-p-x---|', ({ engine, driver, expectObservable }) => {
      engine.deadline = 3;
      engine.onFeed = () => {
        engine.queue('close;');
        engine.finished = true;
      };
      expectObservable(driver.events$).toBe('-------|');
    });
    expect(engine.log).toEqual(['feed ping@1']);
    expect(channel.log).toEqual(['write close;@1', 'end@1']);
  });

  it('completes when the peer resets the socket after the engine finished (as RabbitMQ does after close)', () => {
    const reset = new TransportError('connection to fake:2 failed: reset', { code: 'ECONNRESET' });
    const { channel } = runDriver(
      '-p--#',
      ({ engine, driver, expectObservable }) => {
        engine.onFeed = () => {
          engine.queue('close;');
          engine.finished = true;
        };
        expectObservable(driver.events$).toBe('----|');
      },
      reset,
    );
    expect(channel.log).toEqual(['write close;@1', 'end@1']);
  });

  it('errors events$ with the transport error, destroys the channel and stops the timer', () => {
    const failure = new TransportError('connection to fake:2 failed: reset', { code: 'ECONNRESET' });
    const { engine, channel } = runDriver(
      '-p--#',
      ({ engine, driver, expectObservable }) => {
        engine.deadline = 10;
        expectObservable(driver.events$).toBe('----#', undefined, failure);
      },
      failure,
    );
    expect(engine.log).toEqual(['feed ping@1']);
    expect(channel.log).toEqual(['destroy@4']);
  });

  it('errors events$ with whatever the engine throws, and destroys the channel', () => {
    const bug = new AmqpError(Condition.InternalError, 'engine bug');
    const { channel } = runDriver('-p-|', ({ engine, driver, expectObservable }) => {
      engine.onFeed = () => {
        throw bug;
      };
      expectObservable(driver.events$).toBe('-#', undefined, bug);
    });
    expect(channel.log).toEqual(['destroy@1']);
  });

  it('unsubscribing events$ destroys the channel and cancels the timer', () => {
    const { engine, channel } = runDriver('never', ({ engine, driver, expectObservable }) => {
      engine.deadline = 10;
      expectObservable(driver.events$, '^--!').toBe('');
    });
    expect(engine.log).toEqual([]);
    expect(channel.log).toEqual(['destroy@3']);
  });

  it('stops delivering events, and writes nothing, once a handler unsubscribes', () => {
    const seen: FakeEvent[] = [];
    const { channel } = runDriver('-p-|', ({ engine, driver }) => {
      engine.onFeed = () => {
        engine.emit({ type: 'got', text: '1' });
        engine.emit({ type: 'got', text: '2' });
        engine.queue('reply;');
      };
      const subscription = driver.events$.subscribe((event) => {
        seen.push(event);
        subscription.unsubscribe();
      });
    });
    expect(seen).toEqual([{ type: 'got', text: '1' }]);
    expect(channel.log).toEqual(['destroy@1']);
  });

  it('runs once: a second subscription to events$ errors with amqp:illegal-state', () => {
    runDriver('never', ({ driver }) => {
      driver.events$.subscribe();
      let error: unknown;
      driver.events$.subscribe({ error: (e: unknown) => (error = e) });
      expect(error).toBeInstanceOf(AmqpError);
      expect((error as AmqpError).condition).toBe(Condition.IllegalState);
    });
  });

  it('feeds input the channel held before the driver subscribed', () => {
    const scheduler = newTestScheduler();
    scheduler.run(() => {
      const held = new ChannelInput();
      held.push(encode('early'));
      held.complete();
      const engine = new FakeEngine();
      const channel = new FakeChannel(held.observable, () => scheduler.now());
      let completed = false;
      new EngineDriver(engine, channel, { scheduler }).events$.subscribe({ complete: () => (completed = true) });
      expect(engine.log).toEqual(['feed early@0', 'eof@0']);
      expect(completed).toBe(true);
    });
  });
});

describe('EngineDriver with two real engines over a memory pair, in virtual time', () => {
  function connectPair(scheduler: TestScheduler, clientIdleTimeOut: number) {
    const [clientChannel, serverChannel] = memoryPair({ scheduler, latency: 1 });
    const client = new Engine({ role: 'client', containerId: 'client', hostname: 'localhost', idleTimeOut: clientIdleTimeOut });
    const server = new Engine({ role: 'server', containerId: 'server' });
    const clientDriver = new EngineDriver(client, clientChannel, { scheduler });
    const serverDriver = new EngineDriver(server, serverChannel, { scheduler });
    const log: string[] = [];
    const record = (side: string) => ({
      next: (event: EngineEvent) => {
        log.push(`${side} ${event.type}@${scheduler.now()}`);
        if (side === 'server' && event.type === 'connection-opened') {
          server.open();
          serverDriver.flush();
        }
      },
      error: (error: unknown) => log.push(`${side} error ${(error as Error).message}@${scheduler.now()}`),
      complete: () => log.push(`${side} complete@${scheduler.now()}`),
    });
    client.open();
    const subscriptions = [clientDriver.events$.subscribe(record('client')), serverDriver.events$.subscribe(record('server'))];
    return { client, clientDriver, clientChannel, serverChannel, log, subscriptions };
  }

  it('opens and closes gracefully: both drivers complete once each engine finished and saw end of stream', () => {
    const scheduler = newTestScheduler();
    let log!: string[];
    scheduler.run(() => {
      const pair = connectPair(scheduler, 0);
      log = pair.log;
      scheduler.schedule(() => {
        pair.client.close();
        pair.clientDriver.flush();
      }, 100);
    });
    expect(log).toEqual([
      'server connection-opened@1',
      'client connection-opened@2',
      'server connection-closed@101',
      'server finished@101',
      'client connection-closed@102',
      'client finished@102',
      // The server ended its side at 101, right after its close: both arrive at 102.
      'client complete@102',
      'server complete@103',
    ]);
  });

  it("times out a silent peer: the client's idle timer fires through the driver's tick", () => {
    const scheduler = newTestScheduler();
    let log!: string[];
    scheduler.run(() => {
      const pair = connectPair(scheduler, 1000);
      log = pair.log;
      scheduler.schedule(() => pair.serverChannel.stall(), 100);
      scheduler.schedule(() => pair.subscriptions.forEach((s) => s.unsubscribe()), 5000);
    });
    // The server's open arrived at 2; nothing after (stalled), so the client gives up at 2 + 1000.
    expect(log).toEqual([
      'server connection-opened@1',
      'client connection-opened@2',
      'client protocol-error@1002',
      'client connection-closed@1002',
      'client finished@1002',
      'server connection-closed@1003',
      'server finished@1003',
      // The client's end of stream arrived; the server's is stalled, so the client never completes.
      'server complete@1003',
    ]);
  });

  // Spec §2.4.5: the engine advertises half its real threshold, so the
  // peer's keepalives (at half the advertised value) always arrive in time.
  it("keeps a connection with a 1 s idle-time-out alive for 10 s on the peer's keepalives", () => {
    const scheduler = newTestScheduler();
    let log!: string[];
    let keepaliveBytes = 0;
    scheduler.run(() => {
      const pair = connectPair(scheduler, 1000);
      log = pair.log;
      let afterOpen = 0;
      scheduler.schedule(() => (afterOpen = pair.serverChannel.bytesWritten), 100);
      scheduler.schedule(() => {
        keepaliveBytes = pair.serverChannel.bytesWritten - afterOpen;
        pair.client.close();
        pair.clientDriver.flush();
      }, 10_000);
    });
    expect(log.filter((line) => line.startsWith('client'))).toEqual([
      'client connection-opened@2',
      'client connection-closed@10002',
      'client finished@10002',
      'client complete@10002',
    ]);
    // Empty frames (8 bytes each), at least one per idle-time-out.
    expect(keepaliveBytes).toBeGreaterThanOrEqual(8 * Math.floor(9900 / 1000));
  });
});
