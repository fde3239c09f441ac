/**
 * A minimal AMQP server for the connection tests: a server-side Engine per
 * accepted connection on a MemoryNetwork listener (or any Listen), driven by
 * the test. It answers open (and SASL, when configured), answers attaches by
 * mirroring them, records every event, and can close, drop or stall a
 * connection on command.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import type { EndpointErrorInit, SaslServerOptions } from '../engine/options.js';
import type { Open } from '../frames/types.js';
import { EngineDriver } from '../transport/driver.js';
import type { MemoryChannel } from '../transport/memory/memory-pair.js';
import type { ByteChannel, Listen, ServerTlsOptions } from '../transport/transport.js';

export interface TestServerOptions {
  readonly listen: Listen;
  readonly scheduler: SchedulerLike;
  readonly host?: string;
  readonly port?: number;
  /** Accept TLS only. */
  readonly tls?: ServerTlsOptions;
  readonly containerId?: string;
  /** SASL server options; default: ANONYMOUS and PLAIN user/secret. false: no SASL. */
  readonly sasl?: SaslServerOptions | false;
  readonly offeredCapabilities?: readonly string[];
  readonly properties?: Open['properties'];
  readonly idleTimeOut?: number;
  /** Close each new connection right after its open, with this error. */
  readonly closeOnOpen?: EndpointErrorInit;
}

export const DEFAULT_TEST_SASL: SaslServerOptions = {
  authenticator: { allowAnonymous: true, verifyPlain: (user, password) => user === 'user' && password === 'secret' },
};

export class ServerConnection {
  readonly events: EngineEvent[] = [];
  remoteOpen: Open | undefined;
  ended = false;
  error: unknown;
  constructor(
    readonly engine: Engine,
    readonly driver: EngineDriver<EngineEvent>,
    readonly channel: ByteChannel,
  ) {}

  close(error?: EndpointErrorInit): void {
    this.engine.close(error);
    this.driver.flush();
  }

  /** A network failure on both sides. */
  drop(code = 'ECONNRESET'): void {
    (this.channel as MemoryChannel).breakConnection(code);
  }

  get types(): string[] {
    return this.events.map((e) => e.type);
  }
}

export class TestServer {
  readonly connections: ServerConnection[] = [];
  port = 0;
  private listening: Subscription | undefined;

  constructor(private readonly options: TestServerOptions) {}

  start(): this {
    const o = this.options;
    this.listening = o.listen({ host: o.host, port: o.port ?? 5672, tls: o.tls }).subscribe((event) => {
      if (event.type === 'listening') {
        this.port = event.port;
        return;
      }
      const sasl = o.sasl === undefined ? DEFAULT_TEST_SASL : o.sasl === false ? undefined : o.sasl;
      const engine = new Engine({
        role: 'server',
        containerId: o.containerId ?? 'test-server',
        sasl: sasl === undefined ? undefined : { ...sasl, tlsIdentity: event.channel.peerIdentity },
        offeredCapabilities: o.offeredCapabilities,
        properties: o.properties,
        idleTimeOut: o.idleTimeOut,
      });
      const driver = new EngineDriver<EngineEvent>(engine, event.channel, { scheduler: o.scheduler });
      const connection = new ServerConnection(engine, driver, event.channel);
      this.connections.push(connection);
      engine.open();
      driver.events$.subscribe({
        next: (e) => {
          connection.events.push(e);
          if (e.type === 'connection-opened') {
            connection.remoteOpen = e.open;
            if (o.closeOnOpen !== undefined) connection.close(o.closeOnOpen);
          } else if (e.type === 'link-attached' && e.initiator === 'remote' && engine.link(e.link) !== undefined) {
            engine.attach(e.session, {
              name: e.attach.name,
              role: e.attach.role === 'sender' ? 'receiver' : 'sender',
              source: e.attach.source,
              target: e.attach.target,
            });
          }
        },
        error: (error: unknown) => {
          connection.ended = true;
          connection.error = error;
        },
        complete: () => {
          connection.ended = true;
        },
      });
    });
    return this;
  }

  stop(): void {
    this.listening?.unsubscribe();
  }

  get last(): ServerConnection {
    const c = this.connections[this.connections.length - 1];
    if (c === undefined) throw new Error('no connection yet');
    return c;
  }
}
