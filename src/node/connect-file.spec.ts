import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectConfigError } from '../rx/client/connect-config.js';
import { connectFileCandidates, findConnectFile, loadConnectFile } from './connect-file.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-connect-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('connect.json lookup', () => {
  it('tries ./connect.json, ~/.config/messaging/connect.json, then /etc/messaging/connect.json', () => {
    expect(connectFileCandidates({ env: {}, cwd: '/work', home: '/home/u', platform: 'linux' })).toEqual([
      '/work/connect.json',
      '/home/u/.config/messaging/connect.json',
      '/etc/messaging/connect.json',
    ]);
    expect(connectFileCandidates({ env: {}, cwd: '/work', home: '/home/u', platform: 'win32' })).toEqual(['/work/connect.json']);
    expect(connectFileCandidates({ env: { MESSAGING_CONNECT_FILE: 'conf/my.json' }, cwd: '/work' })).toEqual(['/work/conf/my.json']);
  });

  it('finds the first file that exists; none → undefined', () => {
    const cwd = tempDir();
    const home = tempDir();
    const locations = { env: {}, cwd, home, platform: 'win32' };
    expect(findConnectFile(locations)).toBeUndefined();
    expect(loadConnectFile(locations)).toBeUndefined();
    mkdirSync(join(home, '.config', 'messaging'), { recursive: true });
    writeFileSync(join(home, '.config', 'messaging', 'connect.json'), '{"host":"from-home"}');
    const linux = { env: {}, cwd, home, platform: 'linux' };
    expect(findConnectFile(linux)).toBe(join(home, '.config', 'messaging', 'connect.json'));
    writeFileSync(join(cwd, 'connect.json'), '{"host":"from-cwd"}');
    expect(findConnectFile(linux)).toBe(join(cwd, 'connect.json'));
    expect(loadConnectFile(linux)?.url).toBe('amqps://from-cwd:5671');
  });

  it('MESSAGING_CONNECT_FILE wins, and must exist', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'connect.json'), '{"host":"cwd"}');
    writeFileSync(join(cwd, 'other.json'), '{"scheme":"amqp","host":"other","port":"5680","user":"u","password":"p"}');
    expect(loadConnectFile({ env: { MESSAGING_CONNECT_FILE: join(cwd, 'other.json') }, cwd })).toEqual({
      url: 'amqp://other:5680',
      user: 'u',
      password: 'p',
    });
    expect(() => findConnectFile({ env: { MESSAGING_CONNECT_FILE: join(cwd, 'missing.json') }, cwd })).toThrow(ConnectConfigError);
    expect(() => findConnectFile({ env: { MESSAGING_CONNECT_FILE: join(cwd, 'missing.json') }, cwd })).toThrow(/missing\.json: MESSAGING_CONNECT_FILE/);
  });

  it('reads TLS files relative to the config file, and a CA directory', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cert.pem'), 'CERT');
    writeFileSync(join(dir, 'key.pem'), 'KEY');
    mkdirSync(join(dir, 'cas'));
    writeFileSync(join(dir, 'cas', 'b.pem'), 'CA-B');
    writeFileSync(join(dir, 'cas', 'a.crt'), 'CA-A');
    writeFileSync(join(dir, 'cas', 'readme.txt'), 'not a cert');
    const file = join(dir, 'connect.json');
    writeFileSync(
      file,
      `{
      // TLS with a client certificate
      "host": "broker", "tls": { "cert": "cert.pem", "key": "key.pem", "ca": "cas", "verify": false }
    }`,
    );
    expect(loadConnectFile({ env: { MESSAGING_CONNECT_FILE: file } })).toEqual({
      url: 'amqps://broker:5671',
      tls: { verify: false, cert: 'CERT', key: 'KEY', ca: ['CA-A', 'CA-B'] },
    });
  });

  it('a malformed file is an error naming the file and the key', () => {
    const dir = tempDir();
    const file = join(dir, 'connect.json');
    writeFileSync(file, '{ "host": "h", "tls": { "ca": "nope.pem" } }');
    let error: unknown;
    try {
      loadConnectFile({ env: { MESSAGING_CONNECT_FILE: file } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectConfigError);
    expect((error as ConnectConfigError).file).toBe(file);
    expect((error as ConnectConfigError).key).toBe('tls.ca');
    writeFileSync(file, '{ "host": "h", "port": true }');
    expect(() => loadConnectFile({ env: { MESSAGING_CONNECT_FILE: file } })).toThrow(`${file}: "port": expected a port number`);
    writeFileSync(file, '{ "host": ');
    expect(() => loadConnectFile({ env: { MESSAGING_CONNECT_FILE: file } })).toThrow(`${file}: not valid JSON`);
  });
});
