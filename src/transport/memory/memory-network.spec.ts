import { describe, expect, it } from 'vitest';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describeTransportContract } from '../contract.spec-helper.js';
import { TransportError } from '../transport-error.js';
import type { ByteChannel, ListenerEvent } from '../transport.js';
import { MemoryNetwork } from './memory-network.js';

function memoryRig(network: MemoryNetwork) {
  return {
    listen: network.listen,
    connect: network.connect,
    listenOptions: { host: '127.0.0.1', port: 0 },
    host: '127.0.0.1',
    unusedPort: async () => 1,
  };
}

describeTransportContract('memory network', () => memoryRig(new MemoryNetwork()));
describeTransportContract('memory network, 1 ms latency, reads of at most 1000 bytes', () => memoryRig(new MemoryNetwork({ latency: 1, chunkSize: 1000 })));

describe('MemoryNetwork', () => {
  const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

  it('binds ephemeral ports from 49152 and reports them', () => {
    const network = new MemoryNetwork();
    const events: ListenerEvent[] = [];
    network.listen({}).subscribe((event) => events.push(event));
    network.listen({ port: 0 }).subscribe((event) => events.push(event));
    expect(events).toEqual([
      { type: 'listening', host: '::', port: 49152 },
      { type: 'listening', host: '::', port: 49153 },
    ]);
  });

  it('routes a dial to the listener on that host, or on the wildcard host', async () => {
    const network = new MemoryNetwork();
    const accepted: string[] = [];
    network.listen({ host: 'a.example', port: 5672 }).subscribe((e) => e.type === 'connection' && accepted.push(`a ${e.channel.localAddress}`));
    network.listen({ host: '0.0.0.0', port: 5673 }).subscribe((e) => e.type === 'connection' && accepted.push(`any ${e.channel.localAddress}`));
    const dial = (host: string, port: number) =>
      new Promise<ByteChannel>((resolve, reject) => network.connect({ host, port }).subscribe({ next: resolve, error: reject }));
    await dial('a.example', 5672);
    await dial('b.example', 5673);
    await expect(dial('b.example', 5672)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(accepted).toEqual(['a a.example:5672', 'any b.example:5673']);
  });

  it('dials in virtual time, on the scheduler it was given', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const network = new MemoryNetwork({ scheduler });
      network.listen({ port: 5672 }).subscribe();
      expectObservable(network.connect({ host: 'localhost', port: 5672 }).pipe(map((channel) => channel.remoteAddress))).toBe('a', {
        a: 'localhost:5672',
      });
      expectObservable(network.connect({ host: 'localhost', port: 5673 })).toBe('#', undefined, expect.objectContaining({ code: 'ECONNREFUSED' }));
    });
  });

  it('refuses a TLS dial to a plain listener with EPROTO', async () => {
    const network = new MemoryNetwork();
    network.listen({ port: 5672 }).subscribe();
    const error = await new Promise((resolve) => network.connect({ host: 'h', port: 5672, tls: {} }).subscribe({ error: resolve }));
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('EPROTO');
  });

  it('frees the port when the listener is unsubscribed', async () => {
    const network = new MemoryNetwork();
    network.listen({ port: 5672 }).subscribe().unsubscribe();
    const error = await new Promise((resolve) => network.connect({ host: 'h', port: 5672 }).subscribe({ error: resolve }));
    expect((error as TransportError).code).toBe('ECONNREFUSED');
    const events: ListenerEvent[] = [];
    network.listen({ port: 5672 }).subscribe((event) => events.push(event));
    expect(events).toEqual([{ type: 'listening', host: '::', port: 5672 }]);
  });
});
