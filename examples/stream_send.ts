/**
 * Sends a file as one message, read while it is sent (sendStreamed): however
 * large the file, the process holds a few hundred KiB of it, as the body is
 * read from disk no faster than the connection takes it. Its name goes in
 * the message's subject, its size in an application property.
 *
 *   npx tsx examples/stream_send.ts [url] [address] FILE     (defaults amqp://localhost:5672 examples)
 *
 * A Node Readable is an AsyncIterable of Buffers (Uint8Arrays), which is a
 * body sendStreamed pulls chunk by chunk; should reading fail half way, the
 * delivery is aborted and the receiver drops what it had of it.
 */
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { connect, sendStreamed } from 'rx-amqp';
import { of } from 'rxjs';
import { DEFAULT_ADDRESS, DEFAULT_URL } from './common.js';

const [url = DEFAULT_URL, address = DEFAULT_ADDRESS, file] = process.argv.slice(2).map((a) => (a === '-' ? undefined : a));
if (file === undefined) {
  console.error('usage: stream_send.ts [url] [address] FILE');
  process.exit(2);
}

of({ subject: basename(file), applicationProperties: { size: statSync(file).size }, body: createReadStream(file) })
  .pipe(sendStreamed(connect(url), address))
  .subscribe({
    next: (result) => console.log(`sent ${result.bodyBytes} bytes of ${result.message.subject}: ${result.state}`),
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
