import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { TransportError } from '../transport-error.js';
import type { ByteChannel } from '../transport.js';
import { memoryPair } from './memory-pair.js';

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Runs `body` in virtual time; returns what `record` logged, as `text@time` lines. */
function virtual(body: (scheduler: TestScheduler, record: (side: string, channel: ByteChannel) => void) => void): string[] {
  const log: string[] = [];
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.run(() =>
    body(scheduler, (side, channel) =>
      channel.input.subscribe({
        next: (chunk) => log.push(`${side} ${decode(chunk)}@${scheduler.now()}`),
        error: (error: TransportError) => log.push(`${side} error ${error.code}@${scheduler.now()}`),
        complete: () => log.push(`${side} end@${scheduler.now()}`),
      }),
    ),
  );
  return log;
}

describe('memoryPair', () => {
  it('delivers writes after the latency, in order, each write one read, then end of stream', () => {
    const log = virtual((scheduler, record) => {
      const [a, b] = memoryPair({ scheduler, latency: 5 });
      record('b', b);
      a.write(encode('one'));
      a.write(encode('two'));
      scheduler.schedule(() => {
        a.write(encode('three'));
        a.end();
      }, 10);
    });
    expect(log).toEqual(['b one@5', 'b two@5', 'b three@15', 'b end@15']);
  });

  it('splits reads to chunkSize (1: byte by byte)', () => {
    const log = virtual((scheduler, record) => {
      const [a, b] = memoryPair({ scheduler, chunkSize: 1 });
      record('b', b);
      a.write(encode('abc'));
    });
    expect(log).toEqual(['b a@0', 'b b@0', 'b c@0']);
  });

  it('passes the written buffer through without copying (write takes ownership)', () => {
    const chunk = encode('x');
    let received: Uint8Array | undefined;
    virtual((scheduler) => {
      const [a, b] = memoryPair({ scheduler });
      b.input.subscribe((c) => (received = c));
      a.write(chunk);
    });
    expect(received).toBe(chunk);
  });

  it('reports the configured security, identities and addresses', () => {
    const [a, b] = memoryPair({ secure: true, peerIdentities: ['server-cn', 'client-cn'], addresses: ['c:1', 's:2'] });
    expect([a.secure, a.peerIdentity, a.localAddress, a.remoteAddress]).toEqual([true, 'server-cn', 'c:1', 's:2']);
    expect([b.secure, b.peerIdentity, b.localAddress, b.remoteAddress]).toEqual([true, 'client-cn', 's:2', 'c:1']);
    const [c] = memoryPair();
    expect([c.secure, c.peerIdentity]).toEqual([false, undefined]);
  });

  it('rejects a negative latency or a chunkSize that is not a positive integer', () => {
    for (const options of [{ latency: -1 }, { chunkSize: 0 }, { chunkSize: 1.5 }]) {
      expect(() => memoryPair(options)).toThrow(AmqpError);
    }
    try {
      memoryPair({ chunkSize: 0 });
    } catch (error) {
      expect((error as AmqpError).condition).toBe(Condition.InvalidField);
    }
  });

  it('counts bytes written, including bytes still in flight', () => {
    const [a] = memoryPair();
    a.write(encode('12345'));
    a.write(new Uint8Array(0));
    expect(a.bytesWritten).toBe(5);
  });

  describe('fault injection', () => {
    it('stall() holds one direction until resume(), then delivers in order, end of stream last', () => {
      const log = virtual((scheduler, record) => {
        const [a, b] = memoryPair({ scheduler, latency: 1 });
        record('a', a);
        record('b', b);
        a.stall();
        a.write(encode('held'));
        a.end();
        b.write(encode('flows'));
        scheduler.schedule(() => a.resume(), 50);
      });
      expect(log).toEqual(['a flows@1', 'b held@51', 'b end@51']);
    });

    it('breakConnection() errors both inputs with ECONNRESET (or the given code) and loses bytes in flight', () => {
      const log = virtual((scheduler, record) => {
        const [a, b] = memoryPair({ scheduler, latency: 5 });
        record('a', a);
        record('b', b);
        a.write(encode('lost'));
        scheduler.schedule(() => a.breakConnection(), 2);
        scheduler.schedule(() => a.write(encode('after')), 3);
      });
      expect(log).toEqual(['a error ECONNRESET@2', 'b error ECONNRESET@2']);
      const timedOut = virtual((scheduler, record) => {
        const [a, b] = memoryPair({ scheduler });
        record('b', b);
        b.breakConnection('ETIMEDOUT');
        void a;
      });
      expect(timedOut).toEqual(['b error ETIMEDOUT@0']);
    });

    it('failNextWrite() fails that write: EPIPE on this side, ECONNRESET on the peer, earlier bytes delivered', () => {
      const log = virtual((scheduler, record) => {
        const [a, b] = memoryPair({ scheduler });
        record('a', a);
        record('b', b);
        a.write(encode('before'));
        scheduler.schedule(() => {
          a.failNextWrite();
          a.write(encode('fails'));
        }, 3);
      });
      expect(log).toEqual(['b before@0', 'a error EPIPE@3', 'b error ECONNRESET@3']);
    });

    it('destroy() reaches the peer as end of stream after the latency; unsent bytes are discarded', () => {
      const log = virtual((scheduler, record) => {
        const [a, b] = memoryPair({ scheduler, latency: 4 });
        record('a', a);
        record('b', b);
        a.write(encode('discarded'));
        a.destroy();
        b.write(encode('nobody reads this'));
      });
      expect(log).toEqual(['a end@0', 'b end@4']);
    });
  });
});
