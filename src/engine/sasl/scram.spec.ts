import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultSaslCrypto, type SaslCrypto } from './crypto/sasl-crypto.js';
import type { HashName } from './crypto/hash.js';
import { createClientMechanism } from './mechanisms.js';
import { createServerMechanism } from './server-mechanisms.js';
import { SaslError } from './sasl-error.js';
import { ScramClient } from './scram-client.js';
import { scramCredentialsFromPassword } from './scram-credentials.js';
import { MAX_SCRAM_ITERATIONS, type ScramMechanismName } from './scram-messages.js';
import { ScramServer } from './scram-server.js';
import type { SaslAuthenticator, SaslClientMechanism, SaslServerMechanism, SaslServerStep, ScramStoredCredentials } from './types.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined): string => new TextDecoder().decode(data);
const fromBase64 = (b64: string): Uint8Array => Uint8Array.from(Buffer.from(b64, 'base64'));

const SCRAM: [ScramMechanismName, HashName][] = [
  ['SCRAM-SHA-1', 'SHA-1'],
  ['SCRAM-SHA-256', 'SHA-256'],
  ['SCRAM-SHA-512', 'SHA-512'],
];

/** An authenticator holding users → passwords, deriving SCRAM keys with few iterations to keep tests quick. */
function passwordAuthenticator(users: Record<string, string>, iterations = 16): SaslAuthenticator & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    lookups,
    scramCredentials(user, hash) {
      lookups.push(`${user}/${hash}`);
      const password = users[user];
      return password === undefined ? undefined : scramCredentialsFromPassword(hash, password, bytes(`salt of ${user}`), iterations);
    },
  };
}

/**
 * The client createClientMechanism makes for a SCRAM name: a ScramClient, which answers every step at once
 * (never a pending step, unlike the mechanisms that wait for the caller), so the tests feed its answers on directly.
 */
function scramClient(...args: Parameters<typeof createClientMechanism>): ScramClient {
  const client = createClientMechanism(...args);
  if (!(client instanceof ScramClient)) throw new Error(`createClientMechanism(${args[0]}) made a ${client.constructor.name}, not a ScramClient`);
  return client;
}

/** Runs a whole exchange as the engine would: sasl-init, challenges/responses, outcome, finish. */
function exchange(client: ScramClient, server: SaslServerMechanism): SaslServerStep {
  let step = server.step(client.start());
  while (step.type === 'challenge') step = server.step(client.challenge(step.challenge));
  if (step.type === 'success') client.finish(step.additionalData);
  return step;
}

const nodeCrypto: SaslCrypto = {
  hash: (alg, data) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
  hmac: (alg, key, data) => createHmac(alg.replace('-', '').toLowerCase(), key).update(data).digest(),
  pbkdf2: (alg, password, salt, iterations) => {
    const name = alg.replace('-', '').toLowerCase();
    return pbkdf2Sync(password, salt, iterations, createHash(name).digest().length, name);
  },
  randomBytes: (n) => randomBytes(n),
};

describe('SCRAM-SHA-1: RFC 5802 §5 example exchange', () => {
  const clientFirst = 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL';
  const serverFirst = 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096';
  const clientFinal = 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=';
  const serverFinal = 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=';

  it.each([
    ['default crypto', defaultSaslCrypto],
    ['node:crypto', nodeCrypto],
  ])('client produces the RFC messages (%s), its nonce coming from the injected randomBytes', (_, crypto) => {
    const requested: number[] = [];
    const injected: SaslCrypto = {
      ...crypto,
      randomBytes: (n) => {
        requested.push(n);
        return fromBase64('fyko+d2lbbFgONRv9qkxdawL');
      },
    };
    const client = scramClient('SCRAM-SHA-1', { user: 'user', password: 'pencil' }, injected);
    expect(text(client.start())).toBe(clientFirst);
    expect(requested).toEqual([18]);
    expect(text(client.challenge(bytes(serverFirst)))).toBe(clientFinal);
    expect(() => client.finish(bytes(serverFinal))).not.toThrow();
  });

  it('server produces the RFC messages from credentials derived from the password', () => {
    const stored = scramCredentialsFromPassword('SHA-1', 'pencil', fromBase64('QSXCR+Q6sek8bf92'), 4096);
    const auth: SaslAuthenticator = { scramCredentials: (user, hash) => (user === 'user' && hash === 'SHA-1' ? stored : undefined) };
    const server = new ScramServer('SCRAM-SHA-1', auth, defaultSaslCrypto, '3rfcNHYJY1ZVvWVs7j');
    const first = server.step(bytes(clientFirst));
    expect(first.type === 'challenge' && text(first.challenge)).toBe(serverFirst);
    const outcome = server.step(bytes(clientFinal));
    expect(outcome).toMatchObject({ type: 'success', identity: 'user' });
    expect(outcome.type === 'success' && text(outcome.additionalData)).toBe(serverFinal);
  });
});

describe('SCRAM-SHA-256: RFC 7677 §3 example exchange', () => {
  const clientFirst = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO';
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
  const clientFinal = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
  const serverFinal = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

  // The RFC's client nonce is 20 characters, which no 18-byte random draw encodes to, so it is passed in directly.
  it('client produces the RFC messages', () => {
    const client = new ScramClient('SCRAM-SHA-256', { user: 'user', password: 'pencil' }, defaultSaslCrypto, 'rOprNGfwEbeRWgbNEkqO');
    expect(text(client.start())).toBe(clientFirst);
    expect(text(client.challenge(bytes(serverFirst)))).toBe(clientFinal);
    expect(() => client.finish(bytes(serverFinal))).not.toThrow();
  });

  it('server produces the RFC messages', () => {
    const stored = scramCredentialsFromPassword('SHA-256', 'pencil', fromBase64('W22ZaJ0SNY7soEsUEjb6gQ=='), 4096, nodeCrypto);
    const server = new ScramServer('SCRAM-SHA-256', { scramCredentials: () => stored }, defaultSaslCrypto, '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    const first = server.step(bytes(clientFirst));
    expect(first.type === 'challenge' && text(first.challenge)).toBe(serverFirst);
    const outcome = server.step(bytes(clientFinal));
    expect(outcome.type === 'success' && text(outcome.additionalData)).toBe(serverFinal);
  });
});

describe.each(SCRAM)('%s client ↔ server', (name, hash) => {
  const auth = passwordAuthenticator({ alice: 'secret', 'a,b=c': 'p', jörg: 'pässword' });
  const server = (a: SaslAuthenticator = auth, crypto = defaultSaslCrypto): SaslServerMechanism => createServerMechanism(name, a, {}, crypto)!;

  it('authenticates with the right password, and the client verifies the server', () => {
    auth.lookups.length = 0;
    expect(exchange(scramClient(name, { user: 'alice', password: 'secret' }), server())).toMatchObject({
      type: 'success',
      identity: 'alice',
    });
    expect(auth.lookups).toEqual([`alice/${hash}`]);
  });

  it('handles user names that need escaping, and non-ASCII names and passwords', () => {
    expect(exchange(scramClient(name, { user: 'a,b=c', password: 'p' }), server())).toMatchObject({ identity: 'a,b=c' });
    // NFC on the server side, NFD on the client side: SASLprep's NFKC makes them equal.
    expect(exchange(scramClient(name, { user: 'jörg', password: 'pa\u0308ssword' }), server())).toMatchObject({ identity: 'jörg' });
    // U+00AD SOFT HYPHEN is mapped to nothing.
    expect(exchange(scramClient(name, { user: 'alice', password: 'se\u00ADcret' }), server())).toMatchObject({ type: 'success' });
  });

  it('works with node:crypto on either side', () => {
    const nodeClient = scramClient(name, { user: 'alice', password: 'secret' }, nodeCrypto);
    expect(exchange(nodeClient, server())).toMatchObject({ type: 'success' });
    expect(exchange(scramClient(name, { user: 'alice', password: 'secret' }), server(auth, nodeCrypto))).toMatchObject({ type: 'success' });
  });

  it('refuses a wrong password with code auth', () => {
    expect(exchange(scramClient(name, { user: 'alice', password: 'guess' }), server())).toMatchObject({ type: 'failure', code: 'auth' });
  });

  it('runs a decoy exchange for an unknown user, with a stable salt, then refuses with code auth', () => {
    const salts = [1, 2].map(() => {
      const client = scramClient(name, { user: 'mallory', password: 'secret' });
      const mechanism = server();
      const first = mechanism.step(client.start());
      expect(first.type).toBe('challenge');
      const serverFirst = text(first.type === 'challenge' ? first.challenge : undefined);
      expect(mechanism.step(client.challenge(bytes(serverFirst)))).toMatchObject({ type: 'failure', code: 'auth' });
      return serverFirst.split(',')[1];
    });
    expect(salts[0]).toMatch(/^s=./);
    expect(salts[1]).toBe(salts[0]);
  });

  it('accepts an authzid equal to the user and refuses any other', () => {
    expect(exchange(scramClient(name, { user: 'alice', password: 'secret', authzid: 'alice' }), server())).toMatchObject({ type: 'success' });
    expect(exchange(scramClient(name, { user: 'alice', password: 'secret', authzid: 'root' }), server())).toMatchObject({
      type: 'failure',
      code: 'auth',
    });
  });

  it('client throws SaslError on a tampered server signature', () => {
    const client = scramClient(name, { user: 'alice', password: 'secret' });
    const mechanism = server();
    let step = mechanism.step(client.start());
    step = mechanism.step(client.challenge(step.type === 'challenge' ? step.challenge : new Uint8Array()));
    if (step.type !== 'success') throw new Error(`expected success, got ${step.type}`);
    const tampered = step.additionalData!.slice();
    tampered[2] = tampered[2] === 0x41 ? 0x42 : 0x41; // change the first base64 character of v=
    expect(() => client.finish(tampered)).toThrow(SaslError);
  });

  it('client throws SaslError when the server claims success without its signature', () => {
    const client = scramClient(name, { user: 'alice', password: 'secret' });
    const mechanism = server();
    const first = mechanism.step(client.start());
    mechanism.step(client.challenge(first.type === 'challenge' ? first.challenge : new Uint8Array()));
    expect(() => client.finish(undefined)).toThrow(SaslError);
  });

  it('client throws SaslError when the server claims success before the proof', () => {
    const client = scramClient(name, { user: 'alice', password: 'secret' });
    client.start();
    expect(() => client.finish(bytes('v=AAAA'))).toThrow(SaslError);
  });

  it('client accepts the server signature sent as a final challenge', () => {
    const client = scramClient(name, { user: 'alice', password: 'secret' });
    const mechanism = server();
    const first = mechanism.step(client.start());
    const outcome = mechanism.step(client.challenge(first.type === 'challenge' ? first.challenge : new Uint8Array()));
    const serverFinal = outcome.type === 'success' ? outcome.additionalData! : new Uint8Array();
    expect(client.challenge(serverFinal)).toHaveLength(0);
    expect(() => client.finish(undefined)).not.toThrow();
  });

  it('server asks for the client-first-message when sasl-init had none', () => {
    const client = scramClient(name, { user: 'alice', password: 'secret' });
    const mechanism = server();
    const ask = mechanism.step(undefined);
    expect(ask).toEqual({ type: 'challenge', challenge: new Uint8Array(0) });
    let step = mechanism.step(client.start());
    while (step.type === 'challenge') step = mechanism.step(client.challenge(step.challenge));
    expect(step.type).toBe('success');
  });

  it('server refuses every step after the exchange ended', () => {
    const mechanism = server();
    expect(exchange(scramClient(name, { user: 'alice', password: 'secret' }), mechanism).type).toBe('success');
    expect(mechanism.step(bytes('n,,n=alice,r=abc'))).toMatchObject({ type: 'failure', code: 'auth' });
  });

  it('server reports invalid stored credentials and authenticator exceptions as sys', () => {
    const badKeys: SaslAuthenticator = {
      scramCredentials: (): ScramStoredCredentials => ({ salt: bytes('s'), iterations: 1, storedKey: new Uint8Array(3), serverKey: new Uint8Array(3) }),
    };
    expect(server(badKeys).step(bytes('n,,n=alice,r=abc'))).toMatchObject({ type: 'failure', code: 'sys' });
    const throwing: SaslAuthenticator = {
      scramCredentials: () => {
        throw new Error('database down');
      },
    };
    const step = server(throwing).step(bytes('n,,n=alice,r=abc'));
    expect(step).toMatchObject({ type: 'failure', code: 'sys' });
    expect(step.type === 'failure' && step.reason).toContain('database down');
  });
});

describe('SCRAM client rejects malformed server-first-messages with SaslError', () => {
  const nonce = 'fyko+d2lbbFgONRv9qkxdawL';
  const started = (): SaslClientMechanism => {
    const client = new ScramClient('SCRAM-SHA-1', { user: 'user', password: 'pencil' }, defaultSaslCrypto, nonce);
    client.start();
    return client;
  };
  it.each([
    ['nonce not extended', `r=${nonce},s=QSXCR+Q6sek8bf92,i=4096`, /does not extend/],
    ['nonce replaced', 'r=somethingelse,s=QSXCR+Q6sek8bf92,i=4096', /does not extend/],
    ['nonce with a control character', `r=${nonce}\u0001,s=QSXCR+Q6sek8bf92,i=4096`, /does not extend/],
    ['iterations zero', `r=${nonce}x,s=QSXCR+Q6sek8bf92,i=0`, /not a positive integer/],
    ['iterations not a number', `r=${nonce}x,s=QSXCR+Q6sek8bf92,i=4k`, /not a positive integer/],
    ['iterations too many', `r=${nonce}x,s=QSXCR+Q6sek8bf92,i=${MAX_SCRAM_ITERATIONS + 1}`, /exceeds the limit/],
    ['salt not base64', `r=${nonce}x,s=QSXCR+Q6sek8bf9,i=4096`, /base64/],
    ['attributes out of order', `s=QSXCR+Q6sek8bf92,r=${nonce}x,i=4096`, /lacks the 'r='/],
    ['missing iterations', `r=${nonce}x,s=QSXCR+Q6sek8bf92`, /lacks the 'i='/],
    ['mandatory extension', `m=ext,r=${nonce}x,s=QSXCR+Q6sek8bf92,i=4096`, /extension/],
    ['server error', 'e=other-error', /server refused: other-error/],
    ['empty', '', /malformed/],
  ])('%s', (_, message, reason) => {
    expect(() => started().challenge(bytes(message))).toThrow(SaslError);
    expect(() => started().challenge(bytes(message))).toThrow(reason);
  });

  it('invalid UTF-8', () => {
    expect(() => started().challenge(Uint8Array.of(0x72, 0x3d, 0xff))).toThrow(SaslError);
  });

  it('reports the server error text of e=', () => {
    const client = started();
    client.challenge(bytes(`r=${nonce}x,s=QSXCR+Q6sek8bf92,i=1`));
    expect(() => client.finish(bytes('e=invalid-proof'))).toThrow(/invalid-proof/);
  });

  it('fails fast once failed, and refuses a challenge before start', () => {
    const client = started();
    expect(() => client.challenge(bytes('garbage'))).toThrow(SaslError);
    expect(() => client.challenge(bytes(`r=${nonce}x,s=QSXCR+Q6sek8bf92,i=1`))).toThrow(/already failed/);
    const fresh = new ScramClient('SCRAM-SHA-1', { user: 'user' }, defaultSaslCrypto);
    expect(() => fresh.challenge(bytes(`r=${nonce}x,s=QSXCR+Q6sek8bf92,i=1`))).toThrow(SaslError);
  });

  it('throws only SaslError for arbitrary challenges', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.string({ maxLength: 80 }).map(bytes)), (challenge) => {
        try {
          started().challenge(challenge);
        } catch (error) {
          expect(error).toBeInstanceOf(SaslError);
        }
      }),
    );
  });
});

describe('SCRAM server rejects malformed client messages with failure auth', () => {
  const clientFirst = 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL';
  const nonce = 'fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j';
  const stored = scramCredentialsFromPassword('SHA-1', 'pencil', fromBase64('QSXCR+Q6sek8bf92'), 4096);
  const fresh = (): SaslServerMechanism => new ScramServer('SCRAM-SHA-1', { scramCredentials: () => stored }, defaultSaslCrypto, '3rfcNHYJY1ZVvWVs7j');

  it('accepts the RFC client-final-message (the baseline the cases below corrupt)', () => {
    const server = fresh();
    server.step(bytes(clientFirst));
    expect(server.step(bytes(`c=biws,r=${nonce},p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=`)).type).toBe('success');
  });

  it.each([
    ['no GS2 header', 'n=user,r=abc', /GS2 header/],
    ['channel binding required', 'p=tls-unique,,n=user,r=abc', /channel binding is not supported/],
    ['unknown binding flag', 'x,,n=user,r=abc', /channel-binding flag/],
    ['bad authzid field', 'n,z=other,n=user,r=abc', /bad authzid/],
    ['bad escape in user name', 'n,,n=us=er,r=abc', /escape/],
    ['empty user name', 'n,,n=,r=abc', /user name is empty/],
    ['nonce missing', 'n,,n=user', /lacks the 'r='/],
    ['empty nonce', 'n,,n=user,r=', /nonce is malformed/],
    ['mandatory extension', 'n,,m=x,n=user,r=abc', /extension/],
    ['empty', '', /GS2 header/],
  ])('client-first: %s', (_, message, reason) => {
    const step = fresh().step(bytes(message));
    expect(step).toMatchObject({ type: 'failure', code: 'auth' });
    expect(step.type === 'failure' && step.reason).toMatch(reason);
  });

  it.each([
    ['wrong nonce', `c=biws,r=fyko+d2lbbFgONRv9qkxdawL,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=`, /nonce does not match/],
    ['binding differs from header', `c=eSws,r=${nonce},p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=`, /GS2 header/],
    ['no proof', `c=biws,r=${nonce}`, /lacks a proof/],
    ['proof too short', `c=biws,r=${nonce},p=v0X8v3Bz2T0CJGbJ`, /wrong length/],
    ['proof not base64', `c=biws,r=${nonce},p=v0X8v3Bz2T0CJGbJQyF0X+HI4T*=`, /base64/],
    // The RFC's proof with one bit of its first byte flipped.
    ['wrong proof', `c=biws,r=${nonce},p=v1X8v3Bz2T0CJGbJQyF0X+HI4Ts=`, /authentication failed/],
  ])('client-final: %s', (_, message, reason) => {
    const server = fresh();
    expect(server.step(bytes(clientFirst)).type).toBe('challenge');
    const step = server.step(bytes(message));
    expect(step).toMatchObject({ type: 'failure', code: 'auth' });
    expect(step.type === 'failure' && step.reason).toMatch(reason);
  });

  it('never throws, whatever the client sends', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.string({ maxLength: 80 }).map(bytes), fc.constant(bytes(clientFirst))), {
          minLength: 1,
          maxLength: 4,
        }),
        (responses) => {
          const server = fresh();
          for (const response of responses) {
            const step = server.step(response);
            expect(['challenge', 'success', 'failure']).toContain(step.type);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('scramCredentialsFromPassword', () => {
  it('derives StoredKey and ServerKey as RFC 5802 §3 defines them', () => {
    const salt = bytes('NaCl');
    const stored = scramCredentialsFromPassword('SHA-256', 'pencil', salt, 10);
    const salted = pbkdf2Sync('pencil', salt, 10, 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    expect(Buffer.from(stored.storedKey).equals(createHash('sha256').update(clientKey).digest())).toBe(true);
    expect(Buffer.from(stored.serverKey).equals(createHmac('sha256', salted).update('Server Key').digest())).toBe(true);
    expect(stored.iterations).toBe(10);
    expect(stored.salt).toEqual(salt);
  });

  it('rejects a bad iteration count and a prohibited password with SaslError', () => {
    expect(() => scramCredentialsFromPassword('SHA-1', 'p', bytes('s'), 0)).toThrow(SaslError);
    expect(() => scramCredentialsFromPassword('SHA-1', 'p', bytes('s'), 2.5)).toThrow(SaslError);
    expect(() => scramCredentialsFromPassword('SHA-1', 'p\u0007', bytes('s'), 1)).toThrow(SaslError);
  });
});
