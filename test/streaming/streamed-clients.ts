/**
 * The streaming tests' two clients, each a process of its own (programs/):
 * stream-send.mjs and stream-receive.mjs, their JSON reports, and the
 * bounds both tests hold them to.
 */
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { startProgram } from '../support/run-program.js';

export const MiB = 1024 * 1024;
const PROGRAMS = fileURLToPath(new URL('./programs/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Peak RSS bounds, in bytes: the sender's near Node's at rest (about 66 MiB
 * with rx-amqp loaded); the receiver's near what Node needs to read a socket
 * at all. The receiver collects garbage every 8 MiB read (below), which keeps
 * its RSS to 75–85 MiB; without that, when V8 frees the socket's reads moves
 * it, 100–145 MiB and more under load. A client that held the message would
 * need the 66 MiB at rest and the message's size at least.
 */
export const SENDER_RSS = 110 * MiB;
export const RECEIVER_RSS = 160 * MiB;
/**
 * ArrayBuffer bytes the receiver may still have just after a collection:
 * its read buffer (1 MiB by default), a frame being read, and the last 8 MiB
 * of reads, which V8 may still be freeing (its array buffer sweeping runs
 * beside the program). Seen: about 9 MiB; 17–114 MiB when the frame reader
 * kept every read while a message's frames ended inside its reads.
 */
export const RECEIVER_HELD = 24 * MiB;

export interface Report {
  readonly peakRss: number;
  readonly peakHeld?: number;
  readonly [key: string]: unknown;
}

/** Runs programs/`program` with `args` to its end and returns its report (its last line), checking that it succeeded. */
export async function runClient(program: string, args: readonly string[], timeoutMs: number, nodeFlags: readonly string[] = []): Promise<Report> {
  const finished = await startProgram(process.execPath, [...nodeFlags, `${PROGRAMS}${program}`, ...args], { cwd: ROOT, timeoutMs }).done;
  expect(finished.stderr, finished.stdout).toBe('');
  expect(finished.code).toBe(0);
  return JSON.parse(finished.lines[finished.lines.length - 1]!) as Report;
}

/** Runs stream-receive.mjs, collecting garbage as it reads (--expose-gc): its RSS then follows what it holds, not when V8 collects. */
export function runReceiver(args: readonly string[], timeoutMs: number): Promise<Report> {
  return runClient('stream-receive.mjs', args, timeoutMs, ['--expose-gc']);
}

/** Neither client's memory followed the message's size. */
export function expectBounded(sent: Report, received: Report): void {
  expect(sent.peakRss).toBeLessThan(SENDER_RSS);
  expect(received.peakHeld).toBeLessThan(RECEIVER_HELD);
  expect(received.peakRss).toBeLessThan(RECEIVER_RSS);
}

/** "123.4 MiB". */
export function mib(n: number | undefined): string {
  return n === undefined ? '?' : `${(n / MiB).toFixed(1)} MiB`;
}
