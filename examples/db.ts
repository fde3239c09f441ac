/**
 * A tiny in-memory stand-in for db_common.py's sqlite table `records(id,
 * description)`, used by db_send.ts and db_recv.ts. Every call is
 * asynchronous, as a real database driver's would be.
 */
export interface DbRecord {
  readonly id: number;
  readonly description: string;
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

export class Db {
  private readonly records = new Map<number, string>();
  /** The highest id handed out by load(): the next page starts after it. */
  private position = 0;

  constructor(
    readonly name: string,
    initial: Iterable<DbRecord> = [],
  ) {
    for (const r of initial) this.records.set(r.id, r.description);
  }

  /** The next page of at most `n` records after the last one loaded, in id order. */
  async load(n: number): Promise<DbRecord[]> {
    await tick();
    const page = [...this.records]
      .filter(([id]) => id > this.position)
      .sort(([a], [b]) => a - b)
      .slice(0, n)
      .map(([id, description]) => ({ id, description }));
    if (page.length > 0) this.position = page[page.length - 1]!.id;
    return page;
  }

  /** The highest id stored, 0 when empty. */
  async lastId(): Promise<number> {
    await tick();
    return Math.max(0, ...this.records.keys());
  }

  async insert(id: number, description: string): Promise<void> {
    await tick();
    this.records.set(id, description);
  }

  async delete(id: number): Promise<void> {
    await tick();
    this.records.delete(id);
  }

  /** Load from the start again (after a reconnect, as db_common.py's reset()). */
  reset(): void {
    this.position = 0;
  }

  get size(): number {
    return this.records.size;
  }
}
