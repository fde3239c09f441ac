/**
 * Which Debian package provides each file the harness needs. Integration tests
 * never skip when a peer is missing: they fail with the package to install, and
 * `npm test` installs exactly these packages (scripts/install-peers.sh).
 */
import { accessSync, constants } from 'node:fs';

export class PeerUnavailableError extends Error {
  override readonly name = 'PeerUnavailableError';
}

/** Throws a {@link PeerUnavailableError} naming the package unless `path` exists (and is executable when asked). */
export function requireFile(path: string, debianPackage: string, executable = false): string {
  try {
    accessSync(path, executable ? constants.X_OK : constants.R_OK);
  } catch {
    throw new PeerUnavailableError(
      `${path} is missing: install the Debian package ${debianPackage} ` +
        `(apt-get install -y --no-install-recommends ${debianPackage}); scripts/install-peers.sh installs it (npm test and npm run bench run it)`,
    );
  }
  return path;
}

export const PACKAGES = {
  protonPython: 'python3-qpid-proton',
  protonPythonExamples: 'python-qpid-proton-doc',
  protonCDev: 'libqpid-proton11-dev',
  protonCExamples: 'libqpid-proton11-dev-examples',
  gcc: 'gcc',
  libcDev: 'libc6-dev',
  pkgConfig: 'pkg-config',
  rabbitmq: 'rabbitmq-server',
  openssl: 'openssl',
  saslBin: 'sasl2-bin',
  saslModules: 'libsasl2-modules',
  saslDev: 'libsasl2-dev',
  saslGssapi: 'libsasl2-modules-gssapi-mit',
  krb5Kdc: 'krb5-kdc',
  krb5Admin: 'krb5-admin-server',
  krb5User: 'krb5-user',
  krb5Dev: 'libkrb5-dev',
} as const;
