/**
 * Benchmark worker: our embedded broker (from source, by tsx) with given
 * listen options, for the `hostile` scenario, which attacks it and reads its
 * CPU and RSS from /proc while it does.
 *
 *   tsx bench/workers/limits-broker.ts [LISTEN_OPTIONS_JSON]
 *
 * Prints `listening PORT PID` once bound; stops when stdin ends.
 */
import { startBroker } from '../../src/node/broker.js';

const listen = process.argv[2] === undefined ? {} : (JSON.parse(process.argv[2]) as Record<string, unknown>);
const broker = await startBroker({ host: '127.0.0.1', port: 0, listen });
process.stdout.write(`listening ${broker.port} ${process.pid}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void broker.stop().then(() => process.exit(0));
});
