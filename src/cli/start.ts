import { EXIT_OK, type Command } from './command.js';

/**
 * `rx-amqp start`: the newcomer's main job (`npm start`). Its final form starts
 * the embedded broker and runs hello world through it; until the broker lands
 * it says what is built and what is not.
 */
export const startCommand: Command = {
  name: 'start',
  summary: 'run the main job (the embedded broker and hello world, once they land)',
  usage: 'Usage: rx-amqp start\n\nStarts the embedded broker and runs hello world end to end (not built yet).\n',
  async run(_args, io) {
    io.stdout(
      'rx-amqp 0.1 (in development)\n' +
        '  built:     codec, frames, sans-IO engine (with SASL), Node TCP/TLS and in-memory transports,\n' +
        '             the RxJS API (connect/receive/send, reconnect and failover), `rx-amqp decode|send|receive`\n' +
        '  not yet:   listen(), the embedded broker, examples\n' +
        'When the embedded broker lands, `npm start` will start it and print "Hello World!" end to end.\n',
    );
    return EXIT_OK;
  },
};
