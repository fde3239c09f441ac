// The embedded broker in a process of its own, its limits raised to hold
// one message with MAX bytes of body (and its sections' headers): prints
// "listening PORT" and serves until killed
// (its peak RSS is read from /proc by whoever started it).
// Usage: node broker.mjs MAX
import { startBroker } from 'rx-amqp';

const max = Number(process.argv[2]);
const broker = await startBroker({
  host: '127.0.0.1',
  port: 0,
  allowAnonymous: true,
  maxMessageSize: max + 1024 * 1024,
  memoryBudget: 2 * max + 64 * 1024 * 1024,
  queueLimits: { maxBytes: 2 * max },
  listen: { maxUnfinishedBytes: 2 * max },
});
console.log(`listening ${broker.port}`);
