/**
 * Benchmark worker for `io-floor`: the client side of bench/native/io-floor.c
 * in Node, with no AMQP: per round trip one write of OUT bytes, then wait for
 * IN bytes. What a Node process spends here is the least any Node client of
 * Proton's broker.c spends per 5-credit round trip.
 *
 *   tsx bench/workers/io-floor-client.ts onread|data PORT ROUND_TRIPS_PER_ROUND
 *
 * `onread`: reads into one reused buffer (net's `onread` option, as our
 * transport does); `data`: 'data' events, as most Node clients (rhea) read.
 * Rounds as bench/workers/rounds.ts describes; `messages` in its JSON lines
 * counts round trips.
 */
import { connect, type Socket } from 'node:net';
import { fail, Rounds } from './rounds.js';

const NAME = 'io-floor-client';
const OUT = 350;
const IN = 80;

const [mode, portText, perRoundText] = process.argv.slice(2);
const perRound = Number(perRoundText);
if ((mode !== 'onread' && mode !== 'data') || !(Number(portText) > 0) || !(perRound > 0)) {
  process.stderr.write(`usage: ${NAME} onread|data PORT ROUND_TRIPS_PER_ROUND\n`);
  process.exit(2);
}

const out = Buffer.alloc(OUT, 't');
let toGo = 0;
let pending = 0;

function onBytes(bytes: number): void {
  for (pending += bytes; pending >= IN; pending -= IN) {
    toGo--;
    if (toGo > 0) socket.write(out);
    else if (toGo === 0) rounds.roundDone(perRound);
  }
}

const socket: Socket =
  mode === 'onread'
    ? connect({
        port: Number(portText),
        host: '127.0.0.1',
        noDelay: true,
        onread: {
          buffer: Buffer.alloc(64 * 1024),
          callback: (bytes) => {
            onBytes(bytes);
            return true;
          },
        },
      })
    : connect({ port: Number(portText), host: '127.0.0.1', noDelay: true });
if (mode === 'data') socket.on('data', (data: Buffer) => onBytes(data.length));
socket.on('error', (e) => fail(NAME, e.message));

const rounds = new Rounds(
  () => {
    toGo = perRound;
    socket.write(out);
  },
  () => socket.end(),
);
socket.on('connect', () => rounds.ready());
