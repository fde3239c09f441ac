/**
 * A throwaway MIT Kerberos realm on loopback for the GSSAPI tests, from
 * Debian's krb5-kdc / krb5-admin-server / krb5-user: a KDC database made
 * with kdb5_util, a service principal (`amqp/localhost`) with its keytab, user
 * principals, and krb5kdc on a free port. Everything lives in one temporary
 * folder: krb5.conf and kdc.conf are generated there and named by
 * KRB5_CONFIG and KRB5_KDC_PROFILE, tickets go to private caches
 * (KRB5CCNAME), so nothing system-wide is read or changed and runs do not
 * leak into each other. `stop()` ends the KDC and removes the folder.
 *
 * Also here: `requireKerberosPackage()`, which builds the optional
 * `kerberos` npm package (scripts/install-kerberos.sh) when it is missing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, LOOPBACK, canConnect, sleep } from './net.js';
import { PACKAGES, requireFile } from './packages.js';
import { PeerProcess } from './peer-process.js';
import type { SaslDatabase } from './proton-secure.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface KerberosRealm {
  readonly realm: string;
  readonly dir: string;
  /** The service principal's keytab (`amqp/localhost@REALM`), for servers (KRB5_KTNAME). */
  readonly keytab: string;
  /** KRB5_CONFIG and KRB5_KDC_PROFILE: what every Kerberos program of the test needs. */
  readonly env: Readonly<Record<string, string>>;
  /** Gets `principal`'s ticket into the cache `cache` (a path in the realm's folder) with kinit; `lifetime` e.g. '10m'. */
  kinit(principal: string, password: string, cache: string, lifetime?: string): void;
  /** Empties a cache (kdestroy). */
  kdestroy(cache: string): void;
  /** A cache path in the realm's folder, as KRB5CCNAME wants it (`FILE:...`). */
  cache(name: string): string;
  stop(): Promise<void>;
}

export interface KerberosRealmOptions {
  readonly realm?: string;
  /** The service principal's name and host: `service/host@REALM`. Default amqp/localhost. */
  readonly service?: string;
  readonly host?: string;
  /** User principals and their passwords. */
  readonly users: Readonly<Record<string, string>>;
}

/** Starts a KDC for a new realm; resolves once it accepts connections. */
export async function startKerberosRealm(options: KerberosRealmOptions): Promise<KerberosRealm> {
  const kdb5Util = requireFile('/usr/sbin/kdb5_util', PACKAGES.krb5Kdc, true);
  const krb5kdc = requireFile('/usr/sbin/krb5kdc', PACKAGES.krb5Kdc, true);
  const kadminLocal = requireFile('/usr/sbin/kadmin.local', PACKAGES.krb5Admin, true);
  const kinit = requireFile('/usr/bin/kinit', PACKAGES.krb5User, true);
  const kdestroy = requireFile('/usr/bin/kdestroy', PACKAGES.krb5User, true);
  const realm = options.realm ?? 'RX.TEST';
  const host = options.host ?? 'localhost';
  const service = `${options.service ?? 'amqp'}/${host}`;
  const dir = mkdtempSync(join(tmpdir(), 'rx-krb5-'));
  const port = await freePort();
  const krb5Conf = join(dir, 'krb5.conf');
  const kdcConf = join(dir, 'kdc.conf');
  // No DNS: names are taken as written (localhost stays localhost), TCP to the KDC.
  writeFileSync(
    krb5Conf,
    `[libdefaults]
  default_realm = ${realm}
  dns_lookup_kdc = false
  dns_lookup_realm = false
  rdns = false
  dns_canonicalize_hostname = false
  udp_preference_limit = 1
  default_ccache_name = FILE:${join(dir, 'default.ccache')}
  default_keytab_name = FILE:${join(dir, 'none.keytab')}
[realms]
  ${realm} = {
    kdc = ${LOOPBACK}:${port}
  }
[domain_realm]
  ${host} = ${realm}
`,
  );
  writeFileSync(
    kdcConf,
    `[kdcdefaults]
  kdc_ports = ${port}
  kdc_tcp_ports = ${port}
[realms]
  ${realm} = {
    database_name = ${join(dir, 'principal')}
    key_stash_file = ${join(dir, 'stash')}
    acl_file = ${join(dir, 'kadm5.acl')}
    kdc_listen = ${LOOPBACK}:${port}
    kdc_tcp_listen = ${LOOPBACK}:${port}
  }
[logging]
  kdc = FILE:${join(dir, 'kdc.log')}
`,
  );
  const env = { KRB5_CONFIG: krb5Conf, KRB5_KDC_PROFILE: kdcConf };
  const run = (command: string, args: string[], input?: string): void => {
    try {
      execFileSync(command, args, { env: { ...process.env, ...env }, input, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
      throw new Error(`${command} ${args.join(' ')} failed: ${stderr}`);
    }
  };
  const keytab = join(dir, 'service.keytab');
  let kdc: PeerProcess | undefined;
  try {
    run(kdb5Util, ['create', '-s', '-r', realm, '-P', 'master-key-of-a-throwaway-realm']);
    run(kadminLocal, ['-r', realm, '-q', `addprinc -randkey ${service}`]);
    run(kadminLocal, ['-r', realm, '-q', `ktadd -k ${keytab} ${service}`]);
    for (const [user, password] of Object.entries(options.users)) {
      // kadmin's query is split at spaces.
      if (/\s/.test(password) || /\s/.test(user)) throw new Error(`Kerberos test principals and passwords cannot contain spaces: ${user}`);
      run(kadminLocal, ['-r', realm, '-q', `addprinc -pw ${password} ${user}`]);
    }
    kdc = new PeerProcess('krb5kdc', krb5kdc, ['-n', '-r', realm], { env: { ...process.env, ...env } });
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(LOOPBACK, port, 500))) {
      if (kdc.hasExited || Date.now() > deadline) throw new Error(`krb5kdc is not listening on ${port}\n${kdc.output()}`);
      await sleep(20);
    }
  } catch (e) {
    await kdc?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const running = kdc;
  const cachePath = (name: string): string => `FILE:${join(dir, `${name}.ccache`)}`;
  let stopping: Promise<void> | undefined;
  return {
    realm,
    dir,
    keytab,
    env,
    cache: cachePath,
    kinit: (principal, password, cache, lifetime) => {
      run(kinit, [...(lifetime === undefined ? [] : ['-l', lifetime]), '-c', cache, principal], `${password}\n`);
    },
    kdestroy: (cache) => run(kdestroy, ['-q', '-c', cache]),
    stop: () =>
      (stopping ??= (async () => {
        await running.stop();
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

/**
 * A Cyrus SASL configuration for proton_secure_broker.py offering GSSAPI
 * only (Cyrus's GSSAPI plugin finds the keytab through KRB5_KTNAME, which
 * {@link gssapiServerEnv} sets).
 */
export function makeGssapiSaslConfig(realm: KerberosRealm): SaslDatabase {
  requireFile('/usr/lib/x86_64-linux-gnu/sasl2/libgssapiv2.so', PACKAGES.saslGssapi);
  writeFileSync(join(realm.dir, 'proton-server.conf'), 'mech_list: GSSAPI\n');
  return { configDir: realm.dir, realm: realm.realm };
}

/** The environment of a GSSAPI server: the realm's config, its keytab, and amqp/localhost as its name. */
export function gssapiServerEnv(realm: KerberosRealm, host = 'localhost'): Record<string, string> {
  return { ...realm.env, KRB5_KTNAME: `FILE:${realm.keytab}`, RX_SASL_FQDN: host };
}

/**
 * Makes sure the optional `kerberos` npm package loads, building it with
 * scripts/install-kerberos.sh when it does not (it needs libkrb5-dev).
 */
export async function requireKerberosPackage(): Promise<void> {
  requireFile('/usr/include/gssapi/gssapi.h', PACKAGES.krb5Dev);
  try {
    execFileSync('node', ['-e', "require('kerberos')"], { cwd: REPO_ROOT, stdio: 'ignore' });
    return;
  } catch {
    // Not built yet (or npm ci removed the link): build it.
  }
  try {
    execFileSync('bash', [join(REPO_ROOT, 'scripts/install-kerberos.sh')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
    throw new Error(`building the kerberos npm package failed (scripts/install-kerberos.sh):\n${stderr}`);
  }
}
