import { describe, expect, it } from 'vitest';
import { firstValueFrom } from 'rxjs';
import { Container } from '../rx/container.js';
import { MemoryNetwork } from '../transport/memory/memory-network.js';
import { importKerberos } from './kerberos-gssapi.js';

describe('the optional kerberos package', () => {
  it('a missing package is an error that says what to install', async () => {
    const missing = Object.assign(new Error("Cannot find package 'kerberos'"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(importKerberos(() => Promise.reject(missing))).rejects.toThrow(/SASL GSSAPI needs the package "kerberos".*npm install kerberos.*libkrb5-dev/);
  });

  it('takes the module namespace or its default export (CommonJS), and refuses one without initializeClient', async () => {
    const kerberos = { initializeClient: async () => ({}), GSS_MECH_OID_KRB5: 9 };
    await expect(importKerberos(() => Promise.resolve(kerberos))).resolves.toBe(kerberos);
    await expect(importKerberos(() => Promise.resolve({ default: kerberos }))).resolves.toBe(kerberos);
    await expect(importKerberos(() => Promise.resolve({ version: '1.0.0' }))).rejects.toThrow(/has no initializeClient/);
  });
});

describe('GSSAPI without a GSS-API', () => {
  it('a platform without one cannot choose GSSAPI, and the error says why', async () => {
    const network = new MemoryNetwork({});
    const server = new Container({ id: 's', platform: { connect: network.connect, listen: network.listen } });
    const sub = server.listen({ host: 'h', port: 1 }).subscribe();
    try {
      const client = new Container({ id: 'c', platform: { connect: network.connect } });
      const error = await firstValueFrom(client.connect('amqp://h:1', { sasl: { mechanisms: ['GSSAPI'] }, reconnect: false })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String((error as { cause?: unknown }).cause)).toMatch(/GSSAPI needs a platform with GSS-API/);
    } finally {
      sub.unsubscribe();
    }
  });
});
