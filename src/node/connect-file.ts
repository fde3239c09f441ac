/**
 * Finds and reads connect.json (seed manual §13.1): the file named by
 * MESSAGING_CONNECT_FILE, else the first of ./connect.json,
 * ~/.config/messaging/connect.json and /etc/messaging/connect.json (on
 * Windows only ./connect.json). TLS file names in it are read relative to the
 * file's own directory; `tls.ca` may name a directory of PEM files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ConnectConfigError, connectConfigToOptions, parseConnectConfig } from '../rx/client/connect-config.js';
import type { ConnectOptions } from '../rx/client/connect-options.js';
import type { CertificateData } from '../transport/transport.js';

/** Where to look; each defaults to the process's own. */
export interface ConnectFileLocations {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  readonly home?: string;
  readonly platform?: string;
}

/** The files to try, in order (just the one MESSAGING_CONNECT_FILE names, when set). */
export function connectFileCandidates(locations: ConnectFileLocations = {}): string[] {
  const env = locations.env ?? process.env;
  const named = env['MESSAGING_CONNECT_FILE'];
  if (named !== undefined && named !== '') return [resolve(locations.cwd ?? process.cwd(), named)];
  const cwd = locations.cwd ?? process.cwd();
  const candidates = [join(cwd, 'connect.json')];
  if ((locations.platform ?? process.platform) !== 'win32') {
    candidates.push(join(locations.home ?? homedir(), '.config', 'messaging', 'connect.json'), '/etc/messaging/connect.json');
  }
  return candidates;
}

/**
 * The connect.json in effect, or undefined when there is none. Throws a
 * ConnectConfigError naming the file (and key) when it is invalid, or when
 * MESSAGING_CONNECT_FILE names a file that does not exist.
 */
export function findConnectFile(locations: ConnectFileLocations = {}): string | undefined {
  const env = locations.env ?? process.env;
  const candidates = connectFileCandidates(locations);
  const named = env['MESSAGING_CONNECT_FILE'];
  if (named !== undefined && named !== '') {
    if (!isFile(candidates[0]!)) throw new ConnectConfigError(candidates[0]!, undefined, 'MESSAGING_CONNECT_FILE names this file, which does not exist');
    return candidates[0];
  }
  return candidates.find(isFile);
}

/** Reads the connect.json in effect as ConnectOptions (TLS files loaded), or undefined when there is none. */
export function loadConnectFile(locations: ConnectFileLocations = {}): ConnectOptions | undefined {
  const file = findConnectFile(locations);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConnectConfigError(file, undefined, `cannot read: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const config = parseConnectConfig(text, file);
  const base = dirname(file);
  return connectConfigToOptions(config, file, (name, key) => readCertificates(resolve(base, name), key === 'tls.ca'));
}

function readCertificates(path: string, directoryAllowed: boolean): CertificateData | CertificateData[] {
  if (directoryAllowed && statSync(path).isDirectory()) {
    const files = readdirSync(path)
      .filter((f) => /\.(pem|crt|cer)$/i.test(f))
      .sort();
    if (files.length === 0) throw new Error(`the directory ${path} has no .pem, .crt or .cer file`);
    return files.map((f) => readFileSync(join(path, f), 'utf8'));
  }
  return readFileSync(path, 'utf8');
}

function isFile(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}
