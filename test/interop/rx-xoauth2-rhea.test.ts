/**
 * rhea's XOAUTH2 client (an implementation independent of ours: rhea sends
 * XOAUTH2 when given a username and a token) against our listen() with a
 * token verifier, over TCP on loopback: a good token opens and carries a
 * message, a wrong one is refused with a SASL failure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import rhea from 'rhea';
import { of, type Subscription } from 'rxjs';
import { Container, type IncomingConnection, type ListeningAddress } from '../../src/index.js';
import { LOOPBACK } from '../support/peers/index.js';

const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const s of subscriptions.splice(0)) s.unsubscribe();
});

function listenWithTokens(seen: unknown[], accepted: IncomingConnection[]): Promise<ListeningAddress> {
  return new Promise((resolve, reject) => {
    subscriptions.push(
      new Container({ id: 'xoauth2-server' })
        .listen(`amqp://${LOOPBACK}:0`, {
          onListening: resolve,
          sasl: { verifyToken: (token, context) => (seen.push({ token, ...context }), token === 'ya29.rhea-token') },
        })
        .subscribe({
          next: (connection) => {
            accepted.push(connection);
            connection.links$.subscribe((link) => {
              if (link.role === 'receiver')
                of({ body: 'for rhea' })
                  .pipe(link.send())
                  .subscribe({ error: () => undefined });
              else link.receive().subscribe();
            });
          },
          error: reject,
        }),
    );
  });
}

/** Connects rhea with XOAUTH2 and resolves with the first message body, or rejects with the disconnect error. */
function rheaReceive(port: number, token: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const connection = rhea.create_container({ id: 'rhea-xoauth2' }).connect({
      host: LOOPBACK,
      port,
      username: 'alice',
      token,
      reconnect: false,
    } as rhea.ConnectionOptions);
    connection.on('message', (context) => {
      resolve(context.message?.body);
      connection.close();
    });
    connection.on('disconnected', (context) => reject(context.error ?? new Error('disconnected')));
    // rhea reports a failed SASL outcome as a connection_error whose error is on connection.get_error().
    connection.on('connection_error', (context) => reject(context.connection.get_error() ?? new Error('connection_error')));
    connection.open_receiver('out');
  });
}

describe('rhea XOAUTH2 client → our listen() with verifyToken', () => {
  it('a good token authenticates alice, and a message goes through', async () => {
    const seen: unknown[] = [];
    const accepted: IncomingConnection[] = [];
    const bound = await listenWithTokens(seen, accepted);
    expect(await rheaReceive(bound.port, 'ya29.rhea-token')).toBe('for rhea');
    expect(seen).toEqual([{ token: 'ya29.rhea-token', mechanism: 'XOAUTH2', user: 'alice', hostname: LOOPBACK }]);
    expect(accepted[0]!.peer.user).toBe('alice');
  });

  it('a wrong token is refused: rhea sees the SASL failure', async () => {
    const seen: unknown[] = [];
    const bound = await listenWithTokens(seen, []);
    await expect(rheaReceive(bound.port, 'ya29.stolen')).rejects.toMatchObject({ message: 'Failed to authenticate: 1', condition: 'amqp:unauthorized-access' });
    expect(seen).toHaveLength(1);
  });
});
