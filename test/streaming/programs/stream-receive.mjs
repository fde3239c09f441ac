// Receives one message with receiveStreamed and reads its body with
// for await, checking every byte against the pattern as it comes (nothing
// is kept), then prints a JSON line: the bytes read, whether they all
// matched, the outcome, the time and the process's peak RSS.
// Usage: node stream-receive.mjs URL ADDRESS [USER PASSWORD]
import { connect, receiveStreamed } from 'rx-amqp';
import { firstValueFrom } from 'rxjs';
import { BLOCK, block, peakRss } from './pattern.mjs';

const [url, address, user, password] = process.argv.slice(2);
const options = user === undefined ? { reconnect: false } : { reconnect: false, user, password, sasl: { allowInsecure: true, mechanisms: ['PLAIN'] } };
const started = Date.now();
const delivery = await firstValueFrom(receiveStreamed(connect(url, options), address, { prefetch: 1 }));
let bytes = 0;
let same = true;
for await (const chunk of delivery.body) {
  for (let at = 0; at < chunk.length;) {
    const from = (bytes + at) % BLOCK;
    const n = Math.min(chunk.length - at, BLOCK - from);
    if (same && Buffer.compare(chunk.subarray(at, at + n), block.subarray(from, from + n)) !== 0) same = false;
    at += n;
  }
  bytes += chunk.length;
}
const expected = delivery.message.applicationProperties?.bytes;
console.log(JSON.stringify({ bytes, expected, same, outcome: delivery.outcome, ms: Date.now() - started, peakRss: await peakRss() }));
