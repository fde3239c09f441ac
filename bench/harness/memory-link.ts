/**
 * A sender link between two engines in one process (src/testing's
 * EnginePair), attached and granted its first credit, for the in-memory
 * scenarios and tools: no broker, no sockets.
 */
import type { Engine, LinkId } from '../../src/engine/index.js';
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
