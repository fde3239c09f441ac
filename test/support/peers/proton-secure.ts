/**
 * A Qpid Proton (Python) broker with TLS and SASL for the security interop
 * tests (proton_secure_broker.py), and what it needs: Proton's example test
 * certificates (or fresh ones made the same way), and Cyrus SASL with a
 * sasldb so that Proton offers SCRAM.
 *
 * Debian's Proton is built without Cyrus SASL, so for SCRAM the broker loads
 * proton_cyrus_sasl.c (built here with gcc into .peers/), which plugs Cyrus
 * into Proton's public SASL plugin interface.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOOPBACK, canConnect, sleep } from './net.js';
import { PACKAGES, requireFile } from './packages.js';
import { PeerProcess } from './peer-process.js';
import { PEERS_DIR, PROTON_C_EXAMPLES, protonPython } from './proton.js';
import type { RunningPeer } from './running-peer.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** Proton's example certificates (self-signed; keys encrypted with the passwords below, see README.txt there). */
export const PROTON_SSL_CERTS = join(PROTON_C_EXAMPLES, 'ssl-certs');

export interface ProtonCertificate {
  readonly certificate: string;
  readonly privateKey: string;
  readonly password: string;
}

export interface ProtonCertificates {
  /** CN=test_server, OU=proton_test (self-signed: it is its own CA). */
  readonly server: ProtonCertificate;
  /** CN=test_client, OU=proton_test (self-signed). */
  readonly client: ProtonCertificate;
}

const SUBJECTS = {
  server: ['tserver', '/CN=test_server/OU=proton_test', 'tserverpw'],
  client: ['tclient', '/CN=test_client/OU=proton_test', 'tclientpw'],
} as const;

/** The certificates Debian ships in /usr/share/proton/examples/c/ssl-certs. */
export function protonExampleCertificates(): ProtonCertificates {
  const pick = ([name, , password]: readonly [string, string, string]): ProtonCertificate => ({
    certificate: requireFile(join(PROTON_SSL_CERTS, `${name}-certificate.pem`), PACKAGES.protonCExamples),
    privateKey: requireFile(join(PROTON_SSL_CERTS, `${name}-private-key.pem`), PACKAGES.protonCExamples),
    password,
  });
  return { server: pick(SUBJECTS.server), client: pick(SUBJECTS.client) };
}

/**
 * Makes certificates into `dir` with the commands of Proton's
 * ssl-certs/README.txt (same names, subjects and passwords), valid from now:
 * the shipped ones expired on 2025-11-24.
 */
export function makeProtonCertificates(dir: string): ProtonCertificates {
  const openssl = requireFile('/usr/bin/openssl', PACKAGES.openssl, true);
  const make = ([name, subject, password]: readonly [string, string, string]): ProtonCertificate => {
    const certificate = join(dir, `${name}-certificate.pem`);
    const privateKey = join(dir, `${name}-private-key.pem`);
    execFileSync(
      openssl,
      ['req', '-newkey', 'rsa:2048', '-keyout', privateKey, '-out', certificate, '-subj', subject, '-passout', `pass:${password}`, '-x509', '-days', '3650'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return { certificate, privateKey, password };
  };
  return { server: make(SUBJECTS.server), client: make(SUBJECTS.client) };
}

/**
 * Builds proton_cyrus_sasl.c into .peers/libproton-cyrus-sasl.so (reused while
 * newer than its source) and returns its path.
 */
export function buildCyrusSaslPlugin(): string {
  const source = join(HERE, 'proton_cyrus_sasl.c');
  const library = join(PEERS_DIR, 'libproton-cyrus-sasl.so');
  if (existsSync(library) && statSync(library).mtimeMs >= statSync(source).mtimeMs) return library;
  requireFile('/usr/include/proton/sasl_plugin.h', PACKAGES.protonCDev);
  requireFile('/usr/include/sasl/sasl.h', PACKAGES.saslDev);
  mkdirSync(PEERS_DIR, { recursive: true });
  const partial = `${library}.${process.pid}.tmp`;
  const args = ['-O2', '-shared', '-fPIC', '-o', partial, source, '-l:libqpid-proton-core.so.10', '-lsasl2'];
  try {
    execFileSync(requireFile('/usr/bin/gcc', PACKAGES.gcc, true), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
    throw new Error(`building proton_cyrus_sasl.c failed: gcc ${args.join(' ')}\n${stderr}`);
  }
  renameSync(partial, library);
  return library;
}

/** Cyrus's mechanism plugins (SCRAM, PLAIN...) live in /usr/lib/<triplet>/sasl2. */
function requireCyrusScram(): void {
  const found = readdirSync('/usr/lib', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .some((d) => existsSync(join('/usr/lib', d.name, 'sasl2', 'libscram.so.2')));
  if (!found) requireFile('/usr/lib/x86_64-linux-gnu/sasl2/libscram.so.2', PACKAGES.saslModules);
}

export interface SaslDatabase {
  /** The folder to give Proton as PN_SASL_CONFIG_PATH: proton-server.conf and the sasldb. */
  readonly configDir: string;
  readonly realm: string;
}

/**
 * Writes a Cyrus sasldb with `users` (`saslpasswd2 -c -f FILE -u REALM USER`)
 * and a proton-server.conf offering `mechanisms` into `dir`.
 */
export function makeSaslDatabase(dir: string, realm: string, users: Readonly<Record<string, string>>, mechanisms: readonly string[]): SaslDatabase {
  const saslpasswd2 = requireFile('/usr/sbin/saslpasswd2', PACKAGES.saslBin, true);
  requireCyrusScram();
  const sasldb = join(dir, 'proton.sasldb');
  for (const [user, password] of Object.entries(users)) {
    execFileSync(saslpasswd2, ['-c', '-p', '-f', sasldb, '-u', realm, user], { input: password, stdio: ['pipe', 'pipe', 'pipe'] });
  }
  writeFileSync(
    join(dir, 'proton-server.conf'),
    [`sasldb_path: ${sasldb}`, `mech_list: ${mechanisms.join(' ')}`, 'pwcheck_method: auxprop', 'auxprop_plugin: sasldb', ''].join('\n'),
  );
  return { configDir: dir, realm };
}

export interface ProtonSecureBrokerOptions {
  /** Serve amqps with this certificate (a Proton SSLDomain in server mode). */
  readonly tls?: ProtonCertificate;
  /** Require a client certificate signed by this CA certificate (SSLDomain.VERIFY_PEER). */
  readonly clientCa?: string;
  /** SASL mechanisms the server allows (Proton's allowed_mechs). */
  readonly mechanisms?: readonly string[];
  /** Refuse unauthenticated clients (pn_transport_require_auth). */
  readonly requireAuth?: boolean;
  /** Use Cyrus SASL with this configuration (see {@link makeSaslDatabase}). */
  readonly cyrus?: SaslDatabase;
  /** More environment for the broker (Kerberos: KRB5_CONFIG, KRB5_KTNAME...). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts proton_secure_broker.py on a port the OS picks; `url` is `amqps://` when it serves TLS. */
export async function startProtonSecureBroker(options: ProtonSecureBrokerOptions = {}): Promise<RunningPeer> {
  const python = protonPython();
  const args = ['-u', join(HERE, 'proton_secure_broker.py'), '--host', LOOPBACK, '--port', '0'];
  if (options.tls !== undefined) {
    args.push('--tls-cert', options.tls.certificate, '--tls-key', options.tls.privateKey, '--tls-password', options.tls.password);
  }
  if (options.clientCa !== undefined) args.push('--client-ca', options.clientCa);
  if (options.mechanisms !== undefined) args.push('--mechs', options.mechanisms.join(' '));
  if (options.requireAuth === true) args.push('--require-auth');
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1', ...options.env };
  if (options.cyrus !== undefined) {
    args.push('--cyrus', buildCyrusSaslPlugin());
    env['PN_SASL_CONFIG_PATH'] = options.cyrus.configDir;
    env['RX_SASL_REALM'] = options.cyrus.realm;
  }
  const proc = new PeerProcess('proton-secure-broker', python, args, { env });
  try {
    const [, port] = await proc.waitForOutput(/listening on (\d+)/, 15_000);
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(LOOPBACK, Number(port), 500))) {
      if (proc.hasExited || Date.now() > deadline) throw new Error(`proton-secure-broker not listening on ${port}\n${proc.output()}`);
      await sleep(50);
    }
    let stopping: Promise<void> | undefined;
    return {
      host: LOOPBACK,
      port: Number(port),
      url: `${options.tls !== undefined ? 'amqps' : 'amqp'}://${LOOPBACK}:${port}`,
      output: () => proc.output(),
      stop: () => (stopping ??= proc.stop()),
    };
  } catch (e) {
    await proc.stop();
    throw e;
  }
}
