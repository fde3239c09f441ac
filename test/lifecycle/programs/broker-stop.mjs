// The embedded broker in a user's program, stopped on SIGTERM while hostile
// clients hold connections to it (one never reads, one never answers, one
// trickles an endless delivery): stop() must end within the broker's bounds
// and the process exit by itself — no process.exit here.
// Usage: node broker-stop.mjs [closeTimeout]
// Prints `listening URL`, then `stopped` and `exit`.
import { startBroker } from 'rx-amqp';

const [closeTimeout = '300'] = process.argv.slice(2);
const broker = await startBroker({ host: '127.0.0.1', port: 0, listen: { closeTimeout: Number(closeTimeout) } });
console.log(`listening ${broker.url}`);
process.once('SIGTERM', () => {
  broker.stop().then(
    () => console.log('stopped'),
    (e) => console.log(`error ${e.message}`),
  );
});
process.on('exit', () => console.log('exit'));
