import { firstValueFrom, of, take, map } from 'rxjs';
import { connect, receive, send, startBroker } from '../index.js';
import { defineCommand, EXIT_FAILURE, EXIT_OK } from './command.js';

/**
 * `rx-amqp start`: the newcomer's main job (`npm start`). Starts the
 * embedded broker in this process on a free port, then runs hello world
 * through it over TCP, as Proton's helloworld.py does: a receiver on
 * `examples`, one message sent, its body printed.
 */
export const startCommand = defineCommand({
  name: 'start',
  summary: 'start the embedded broker and run hello world through it',
  synopsis: '',
  description: `Starts the embedded broker on a free local port and runs hello world end to
end through it over TCP: prints where the broker listens, then Hello World!
What \`npm start\` runs.`,
  options: {},
  async run(_args, io) {
    const broker = await startBroker({ host: '127.0.0.1', port: 0 });
    io.stdout(`embedded broker listening on ${broker.url}\n`);
    try {
      const connection$ = connect(broker.url, { reconnect: false });
      // Subscribe the receiver first so the message has somewhere to go, then send.
      const received = firstValueFrom(
        receive(connection$, 'examples').pipe(
          take(1),
          map((d) => d.message.body),
        ),
      );
      await firstValueFrom(of({ body: 'Hello World!' }).pipe(send(connection$, 'examples')));
      io.stdout(`${String(await received)}\n`);
      return EXIT_OK;
    } catch (error) {
      io.stderr(`rx-amqp start: ${error instanceof Error ? error.message : String(error)}\n`);
      return EXIT_FAILURE;
    } finally {
      await broker.stop();
    }
  },
});
