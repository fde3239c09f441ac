/**
 * A sender link between two engines in one process (src/testing's
 * EnginePair), attached and granted its first credit, for the in-memory
 * scenarios and tools: no broker, no sockets.
 */
import type { Engine, LinkId } from '../../src/engine/index.js';
import { encodeMessageBytes } from '../../src/frames/index.js';
import { EnginePair, type EnginePairOptions } from '../../src/testing/index.js';
import type { Source, Target } from '../../src/frames/types.js';

export interface MemoryLink {
  /** Sends on `sender`. */
  readonly client: Engine;
  /** Receives on `receiver`. */
  readonly server: Engine;
  readonly sender: LinkId;
  readonly receiver: LinkId;
}

/** Opens the connection and session, attaches the link to `address` and grants `credit`; nothing is left to take. */
export function memoryLink(credit: number, address = 'bench', options: EnginePairOptions = {}): MemoryLink {
  const pair = new EnginePair(options);
  const session = pair.openSession();
  const source: Source = { type: 'source', address: undefined, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false };
  const target: Target = { type: 'target', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false };
  const link = pair.attachLink(session, { name: 'bench', role: 'sender', source, target });
  pair.server.flow(link.server, { credit });
  pair.pump();
  pair.take('client');
  pair.take('server');
  return { client: pair.client, server: pair.server, sender: link.client, receiver: link.server };
}

/**
 * `count` of the throughput scenarios' messages (message-id ulong, amqp-value
 * map {sequence: n}, unsettled), from sequence number `first`, as `engine`
 * writes them on its sender `link`, cut into reads as RabbitMQ sends them:
 * one transfer, then two, alternately (1.5 a read). For the in-process
 * receive loops (`engine-small-reads`, bench/tools/rx-small-reads.ts).
 */
export function smallReads(engine: Engine, link: LinkId, count: number, first: number): Uint8Array[] {
  const reads: Uint8Array[] = [];
  let pending: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    const n = first + i;
    engine.send(link, {
      payload: encodeMessageBytes({ properties: { messageId: BigInt(n) }, body: { type: 'value', value: new Map([['sequence', n]]) } }),
    });
    const transfer = engine.takeOutput()!.slice();
    if (i % 3 === 0) reads.push(transfer);
    else if (pending === undefined) pending = transfer;
    else {
      const both = new Uint8Array(pending.length + transfer.length);
      both.set(pending);
      both.set(transfer, pending.length);
      reads.push(both);
      pending = undefined;
    }
  }
  if (pending !== undefined) reads.push(pending);
  return reads;
}
