/**
 * The broker's brake on a peer that does not read: once a connection has
 * more than `limit` bytes it has yet to send (the engine's output and queued
 * transfers, and what its socket holds), the queues stop dispatching to that
 * connection's consumers (their credit is kept), and start again when its
 * output drains below the limit. Without it a consumer granting a large
 * credit and never reading would have the broker copy its queue into socket
 * buffers; 30 browsers of one queue did that with 2.6 GB.
 *
 * The backlog is read after each write of the connection's output (and each
 * drain of its socket); between two writes the gate counts the bytes
 * dispatched itself, since they are not in the engine's output yet.
 */
import type { ConsumerHandle } from './queue.js';

/** Default bound on what a connection may have yet to send before its consumers are paused: 1 MiB. */
export const DEFAULT_MAX_OUTPUT_BACKLOG = 1024 * 1024;

export class OutputGate {
  private readonly handles = new Set<ConsumerHandle>();
  /** The backlog when last read, and the bytes dispatched since. */
  private base = 0;
  private sinceWrite = 0;
  private shut = false;

  constructor(
    private readonly limit: number,
    private readonly backlog: () => number,
  ) {}

  /** Whether the connection's consumers are paused now. */
  get isShut(): boolean {
    return this.shut;
  }

  /** Gates a consumer of this connection; returns the function that stops gating it. */
  add(handle: ConsumerHandle): () => void {
    this.handles.add(handle);
    if (this.shut) handle.pause();
    return () => this.handles.delete(handle);
  }

  /** A consumer of this connection was given a message of `bytes`. */
  sent(bytes: number): void {
    this.sinceWrite += bytes;
    if (!this.shut && this.base + this.sinceWrite > this.limit) this.close();
  }

  /** The connection's output was written, or its socket drained: read the backlog again. */
  written(): void {
    this.sinceWrite = 0;
    this.base = this.backlog();
    if (this.base > this.limit) {
      if (!this.shut) this.close();
    } else if (this.shut) {
      this.shut = false;
      // A resumed consumer may be given enough to shut the gate again; the others then stay paused.
      for (const handle of [...this.handles]) {
        if (this.shut) break;
        handle.resume();
      }
    }
  }

  private close(): void {
    this.shut = true;
    for (const handle of this.handles) handle.pause();
  }
}
