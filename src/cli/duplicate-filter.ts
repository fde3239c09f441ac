/**
 * Recognises messages seen before by their message id, for at-least-once
 * streams where a reconnect redelivers what was accepted just before the
 * connection broke. Remembers at most `capacity` ids, forgetting the oldest
 * first (redeliveries come soon after the original, so a window suffices).
 * A message without an id is never a duplicate.
 */
import type { Message } from '../index.js';

export class DuplicateFilter {
  private readonly ids = new Set<string>();
  private duplicates = 0;

  constructor(private readonly capacity: number) {}

  /** Duplicates seen so far. */
  get count(): number {
    return this.duplicates;
  }

  /** True when a message with this id was seen already (and counts it); otherwise remembers the id. */
  seen(id: Message['messageId']): boolean {
    if (id === undefined) return false;
    const key = idKey(id);
    if (this.ids.has(key)) {
      this.duplicates++;
      return true;
    }
    if (this.ids.size >= this.capacity) this.ids.delete(this.ids.values().next().value!);
    this.ids.add(key);
    return false;
  }
}

/** One string per id, distinct across the id types (a string "42" is not the ulong 42). */
function idKey(id: NonNullable<Message['messageId']>): string {
  if (typeof id === 'string') return `s:${id}`;
  if (typeof id === 'bigint' || typeof id === 'number') return `u:${id}`;
  if (id instanceof Uint8Array) return `b:${Array.from(id, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  return `g:${String(id.value)}`;
}
