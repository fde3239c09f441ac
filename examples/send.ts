/**
 * The seed manual's chapter 4.1 send.py, the RxJS way: connect, send one
 * message to <address>, and exit once the peer has settled it.
 *
 *   npx tsx examples/send.ts <connection-url> <address> <message-body>
 *   npx tsx examples/send.ts amqp://localhost queue1 hello
 *
 * `send()` is an operator: the messages of its source go out under link credit
 * and come back as outcomes. `lastValueFrom` waits for the last outcome; with
 * nothing subscribed any more the link detaches and the connection closes.
 */
import { connect, send } from 'rx-amqp';
import { lastValueFrom, of } from 'rxjs';

const [url, address, body] = process.argv.slice(2);
if (url === undefined || address === undefined || body === undefined) {
  console.error('Usage: send.ts <connection-url> <address> <message-body>');
  process.exit(1);
}

// To connect with a user and password: connect(url, { user: '<user>', password: '<password>' })
const connection$ = connect(url);

try {
  const result = await lastValueFrom(of({ body }).pipe(send(connection$, address)));
  // An outcome means the sender link was opened and the message sent (rx-amqp reports no separate "opened" event for senders).
  console.log(`SEND: Opened sender for target address '${address}'`);
  console.log(`SEND: Sent message '${String(result.message.body)}'`);
  if (result.state !== 'accepted') {
    console.error(`SEND: the peer answered ${result.state}`);
    process.exitCode = 1;
  }
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
