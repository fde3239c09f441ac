/**
 * Receives one message as a stream (receiveStreamed) and writes its body to
 * a file as it arrives: the body is read with `for await`, each chunk asked
 * for only once the last one is written, so the sender is held back by the
 * disk, not by memory. The message is accepted once its body is read to the
 * end.
 *
 *   npx tsx examples/stream_recv.ts [url] [address] OUT-FILE     (defaults amqp://localhost:5672 examples)
 */
import { open } from 'node:fs/promises';
import { connect, receiveStreamed } from 'rx-amqp';
import { firstValueFrom } from 'rxjs';
import { DEFAULT_ADDRESS, DEFAULT_URL } from './common.js';

const [url = DEFAULT_URL, address = DEFAULT_ADDRESS, out] = process.argv.slice(2).map((a) => (a === '-' ? undefined : a));
if (out === undefined) {
  console.error('usage: stream_recv.ts [url] [address] OUT-FILE');
  process.exit(2);
}

const delivery = await firstValueFrom(receiveStreamed(connect(url), address, { prefetch: 1 }));
console.log(`receiving ${String(delivery.message.subject)} (${String(delivery.message.applicationProperties?.['size'])} bytes)`);
const file = await open(out, 'w');
try {
  for await (const chunk of delivery.body) await file.write(chunk);
} finally {
  await file.close();
}
console.log(`wrote ${delivery.bodyBytes} bytes to ${out}: ${delivery.outcome}`);
