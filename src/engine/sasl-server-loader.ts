/**
 * How the engine gets its SASL server (sasl-server-negotiation.ts): here, at
 * once. A browser bundle gets sasl-server-loader.browser.ts instead
 * (package.json's `browser` field), which loads it when a client first sends
 * sasl-init: a page's engines are clients, and carry none of it.
 */
import type { SaslServerOptions } from './options.js';
import type { SaslServer } from './sasl-negotiation.js';
import { SaslServerNegotiation } from './sasl-server-negotiation.js';

export function createSaslServer(options: SaslServerOptions): SaslServer {
  return new SaslServerNegotiation(options);
}
