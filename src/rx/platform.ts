/**
 * What the rx layer needs from the platform it runs on, passed in explicitly
 * (nats.js's transport factory, without its module global): how to dial, and
 * optionally how to accept connections, a connect.json loader, the
 * environment (for PN_TRACE_FRM), a faster SASL crypto and GSS-API — what
 * connect() (client/dial-platform.ts) and listen() (server/listen-platform.ts)
 * each need. `src/node/platform.ts` builds the Node one; tests build one over
 * a `MemoryNetwork`. Browser-safe: types only.
 */
import type { DialPlatform } from './client/dial-platform.js';
import type { ListenPlatform } from './server/listen-platform.js';

/** What a {@link Container} needs of its runtime: how to dial and listen, connect.json and the environment, SASL crypto and GSSAPI. Node's and the browser's are given; tests give a MemoryNetwork's. */
export interface Platform extends DialPlatform, ListenPlatform {}
