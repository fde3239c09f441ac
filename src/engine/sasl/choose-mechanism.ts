import { SASL_MECHANISMS, type SaslMechanismName } from './mechanisms.js';
import type { SaslCredentials } from './types.js';

export interface ChooseMechanismOptions {
  /** Mechanisms the application permits (any case); absent = all we implement. Naming EXTERNAL or ANONYMOUS here also asks for it. */
  allowed?: readonly string[];
  /** The transport is encrypted (TLS, wss). */
  secure: boolean;
  /** Permit PLAIN's clear-text password on an unencrypted transport. */
  allowInsecure: boolean;
  credentials: SaslCredentials;
  /** A TLS client certificate was presented, so EXTERNAL can identify us. */
  hasClientCertificate?: boolean;
  /** The caller answers GSSAPI's `sasl-request`s (it has a Kerberos library), so GSSAPI can be used when `allowed` names it. */
  gssapi?: boolean;
}

/**
 * Choose the strongest mechanism both sides allow, in the order GSSAPI >
 * OAUTHBEARER > XOAUTH2 > SCRAM-SHA-512 > SCRAM-SHA-256 > SCRAM-SHA-1 >
 * EXTERNAL > PLAIN > ANONYMOUS:
 *
 * - GSSAPI only when `allowed` names it and the caller can do GSS-API;
 * - OAUTHBEARER and XOAUTH2 only with a token;
 * - SCRAM and PLAIN only with a user;
 * - PLAIN (clear text) only on a secure transport, unless `allowInsecure`;
 * - EXTERNAL only with a client certificate or when `allowed` names it;
 * - ANONYMOUS only without a user or token, or when `allowed` names it: credentials
 *   the server cannot take (say, PLAIN refused on plain TCP) must not quietly
 *   turn into an anonymous login.
 *
 * Returns undefined when nothing fits (the caller reports why).
 */
export function chooseMechanism(offered: readonly string[], opts: ChooseMechanismOptions): SaslMechanismName | undefined {
  const offeredSet = new Set(offered.map((name) => name.toUpperCase()));
  const allowed = opts.allowed === undefined ? undefined : new Set(opts.allowed.map((name) => name.toUpperCase()));
  const hasUser = opts.credentials.user !== undefined && opts.credentials.user !== '';
  const hasToken = opts.credentials.token !== undefined && opts.credentials.token !== '';
  for (const name of SASL_MECHANISMS) {
    if (!offeredSet.has(name) || (allowed !== undefined && !allowed.has(name))) continue;
    const explicitlyAllowed = allowed?.has(name) === true;
    switch (name) {
      case 'GSSAPI':
        if (explicitlyAllowed && opts.gssapi === true) return name;
        break;
      case 'OAUTHBEARER':
      case 'XOAUTH2':
        if (hasToken) return name;
        break;
      case 'SCRAM-SHA-512':
      case 'SCRAM-SHA-256':
      case 'SCRAM-SHA-1':
        if (hasUser) return name;
        break;
      case 'EXTERNAL':
        if (opts.hasClientCertificate === true || explicitlyAllowed) return name;
        break;
      case 'PLAIN':
        if (hasUser && (opts.secure || opts.allowInsecure)) return name;
        break;
      case 'ANONYMOUS':
        if ((!hasUser && !hasToken) || explicitlyAllowed) return name;
        break;
    }
  }
  return undefined;
}
