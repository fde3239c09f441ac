// Receives one message with receiveStreamed and reads its body with
// for await, checking every byte against the pattern as it comes (nothing
// is kept), then prints a JSON line: the bytes read, whether they all
// matched, the outcome, the time and the process's peak RSS.
// Run with --expose-gc, it also collects garbage after every 8 MiB read and
// reports peakHeld: the most ArrayBuffer bytes still there just after a
// collection, i.e. what the receiver holds (plus at most the last 8 MiB's
// buffers, which V8 may still be freeing), apart from when V8 gets round to
// freeing the socket's reads (which under load moves peak RSS by tens of MiB).
// Usage: node [--expose-gc] stream-receive.mjs URL ADDRESS [USER PASSWORD]
import { connect, receiveStreamed } from 'rx-amqp';
import { firstValueFrom } from 'rxjs';
import { BLOCK, block, peakRss } from './pattern.mjs';

const COLLECT_EVERY = 8 * 1024 * 1024;
const gc = globalThis.gc;
const [url, address, user, password] = process.argv.slice(2);
const options = user === undefined ? { reconnect: false } : { reconnect: false, user, password, sasl: { allowInsecure: true, mechanisms: ['PLAIN'] } };
const started = Date.now();
const delivery = await firstValueFrom(receiveStreamed(connect(url, options), address, { prefetch: 1 }));
let bytes = 0;
let same = true;
let peakHeld = 0;
let collectAt = COLLECT_EVERY;
for await (const chunk of delivery.body) {
  for (let at = 0; at < chunk.length; ) {
    const from = (bytes + at) % BLOCK;
    const n = Math.min(chunk.length - at, BLOCK - from);
    if (same && Buffer.compare(chunk.subarray(at, at + n), block.subarray(from, from + n)) !== 0) same = false;
    at += n;
  }
  bytes += chunk.length;
  if (gc !== undefined && bytes >= collectAt) {
    collectAt += COLLECT_EVERY;
    gc();
    peakHeld = Math.max(peakHeld, process.memoryUsage().arrayBuffers);
  }
}
const expected = delivery.message.applicationProperties?.bytes;
console.log(
  JSON.stringify({
    bytes,
    expected,
    same,
    outcome: delivery.outcome,
    ms: Date.now() - started,
    peakRss: await peakRss(),
    ...(gc === undefined ? {} : { peakHeld }),
  }),
);
