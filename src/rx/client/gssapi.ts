/**
 * The GSS-API a platform lends to the SASL mechanism GSSAPI (Kerberos), and
 * the per-connection answerer of the engine's GSSAPI requests. The engine
 * runs the RFC 4752 exchange (engine/sasl/gssapi.ts); the GSS-API calls are
 * asynchronous (Node's `kerberos` package), so the engine asks and this
 * answers later. Browser-safe: no platform here has one but Node's.
 */
import { defer, type Observable } from 'rxjs';
import type { SaslAnswer, SaslRequest } from '../../engine/sasl/index.js';

/** Where the service is, for the service principal `service@host`. */
export interface GssapiTarget {
  /** The service name of the principal. Default {@link DEFAULT_GSSAPI_SERVICE}. */
  readonly service: string;
  /** The host of the principal (the server's name, as the KDC knows it). */
  readonly host: string;
  /** The client principal (`user@REALM`) whose ticket to use. Default: the credential cache's default principal. */
  readonly principal?: string | undefined;
}

/** One security context of the initiator (GSS_Init_sec_context and friends). */
export interface GssapiContext {
  /** Feeds the server's token (empty at first); gives the token to send and whether the context is established. */
  step(token: Uint8Array): Promise<{ readonly token: Uint8Array; readonly complete: boolean }>;
  unwrap(token: Uint8Array): Promise<Uint8Array>;
  wrap(data: Uint8Array): Promise<Uint8Array>;
}

/** A platform's GSS-API (the Node platform: the optional `kerberos` package). */
export interface GssapiProvider {
  initiate(target: GssapiTarget): Promise<GssapiContext>;
}

/** The Kerberos service name AMQP servers register (Proton's and Qpid's default). */
export const DEFAULT_GSSAPI_SERVICE = 'amqp';

/** Answers one connection's GSSAPI requests; the context is made on the first. */
export class GssapiSession {
  private context: Promise<GssapiContext> | undefined;

  constructor(
    private readonly provider: GssapiProvider,
    private readonly target: GssapiTarget,
  ) {}

  /** The answer to `request`, as one value (a GSS-API failure is an `error` answer: the engine turns it into a SaslError). */
  answer(request: Extract<SaslRequest, { kind: `gssapi-${string}` }>): Observable<SaslAnswer> {
    return defer(() => this.run(request));
  }

  private async run(request: Extract<SaslRequest, { kind: `gssapi-${string}` }>): Promise<SaslAnswer> {
    try {
      const context = await (this.context ??= this.provider.initiate(this.target));
      switch (request.kind) {
        case 'gssapi-step': {
          const { token, complete } = await context.step(request.token);
          return { kind: 'gssapi-step', token, complete };
        }
        case 'gssapi-unwrap':
          return { kind: 'bytes', data: await context.unwrap(request.token) };
        case 'gssapi-wrap':
          return { kind: 'bytes', data: await context.wrap(request.data) };
      }
    } catch (error) {
      return { kind: 'error', error };
    }
  }
}
