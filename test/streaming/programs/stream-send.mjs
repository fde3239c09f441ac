// Sends one message of BYTES body bytes with sendStreamed, its body made
// while it is sent (64 KiB views of the pattern block), then prints a JSON
// line: its outcome, the bytes sent, the time it took, and the process's
// peak RSS. Usage: node stream-send.mjs URL ADDRESS BYTES [USER PASSWORD]
import { connect, sendStreamed } from 'rx-amqp';
import { lastValueFrom, of } from 'rxjs';
import { BLOCK, block, peakRss } from './pattern.mjs';

const [url, address, bytes, user, password] = process.argv.slice(2);
const total = Number(bytes);
const CHUNK = 64 * 1024;

async function* body() {
  for (let at = 0; at < total; at += CHUNK) {
    const from = at % BLOCK;
    yield block.subarray(from, from + Math.min(CHUNK, total - at, BLOCK - from));
  }
}

const options = user === undefined ? { reconnect: false } : { reconnect: false, user, password, sasl: { allowInsecure: true, mechanisms: ['PLAIN'] } };
const started = Date.now();
const result = await lastValueFrom(
  of({ subject: 'large', applicationProperties: { bytes: total }, body: body() }).pipe(sendStreamed(connect(url, options), address)),
);
console.log(JSON.stringify({ state: result.state, bytes: result.bodyBytes, ms: Date.now() - started, peakRss: await peakRss() }));
