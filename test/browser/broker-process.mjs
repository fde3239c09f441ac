// The embedded broker in a process of its own, so a test can kill it
// (SIGKILL: no close frames, the sockets just drop) and start it again on the
// same ports. Loads the built package (dist/esm) at once, then waits, so a
// spare process started ahead binds within milliseconds when asked.
// Started with child_process.fork; over its IPC channel:
//   ← { type: 'start', port, wsPort }     (0: a free port)
//   → { type: 'listening', port, wsPort } once bound, or { type: 'error', message } and exit 1
//   ← { type: 'consumers', id, topic }
//   → { type: 'consumers', id, value }    the consumers attached to that topic
import { startBroker } from '../../dist/esm/index.js';

let running;
process.on('message', async (request) => {
  if (request?.type === 'start' && running === undefined) {
    try {
      running = await startBroker({ host: '127.0.0.1', port: request.port, ws: { port: request.wsPort } });
      process.send({ type: 'listening', port: running.port, wsPort: running.ws.port });
    } catch (error) {
      process.send({ type: 'error', message: String(error?.stack ?? error) }, () => process.exit(1));
    }
  } else if (request?.type === 'consumers') {
    const topic = running?.broker.registry.stats().topics.find((t) => t.name === request.topic);
    process.send({ type: 'consumers', id: request.id, value: topic?.consumers ?? 0 });
  }
});
process.on('disconnect', () => process.exit(0)); // the test process went away
process.send({ type: 'ready' });
