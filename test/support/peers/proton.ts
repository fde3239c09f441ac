/**
 * Apache Qpid Proton peers from Debian's packages: the C example broker (built
 * once with gcc into .peers/), the Python example broker, and the C send/receive
 * examples that benchmarks drive.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOOPBACK, canConnect, freePort, sleep } from './net.js';
import { PACKAGES, PeerUnavailableError, requireFile } from './packages.js';
import { PeerProcess } from './peer-process.js';
import type { RunningPeer } from './running-peer.js';

export const PROTON_C_EXAMPLES = '/usr/share/proton/examples/c';
export const PROTON_PYTHON_EXAMPLES = '/usr/share/proton/examples/python';
/** Debian's interpreter: a `python3` earlier on PATH may lack the `proton` module. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Where built C examples are cached (git-ignored). */
export const PEERS_DIR = join(REPO_ROOT, '.peers');

/** The Python interpreter that has Proton's binding; throws naming the package if it is missing. */
export function protonPython(): string {
  requireFile(DEBIAN_PYTHON, 'python3', true);
  requireFile('/usr/lib/python3/dist-packages/proton/__init__.py', PACKAGES.protonPython);
  return DEBIAN_PYTHON;
}

export type ProtonCExample = 'broker' | 'send' | 'receive' | 'direct' | 'send-abort' | 'send-ssl';

/**
 * Builds one of Proton's C examples (`send`, `receive`, `broker`…) into .peers/
 * and returns the binary's path. The binary is reused while it is newer than
 * its source; concurrent builds (parallel test files) each write a private
 * temporary file and rename it into place.
 */
export function buildProtonCExample(name: ProtonCExample): string {
  const source = requireFile(join(PROTON_C_EXAMPLES, `${name}.c`), PACKAGES.protonCExamples);
  const binary = join(PEERS_DIR, `proton-${name}`);
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;

  const flags = protonCFlags();
  requireFile('/usr/include/stdio.h', PACKAGES.libcDev);
  mkdirSync(PEERS_DIR, { recursive: true });
  const partial = `${binary}.${process.pid}.tmp`;
  const args = ['-O2', '-o', partial, source, `-I${PROTON_C_EXAMPLES}`, ...flags, '-lpthread'];
  try {
    execFileSync(requireFile('/usr/bin/gcc', PACKAGES.gcc, true), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
    throw new Error(`building Proton's ${name}.c failed: gcc ${args.join(' ')}\n${stderr}`);
  }
  renameSync(partial, binary);
  return binary;
}

function protonCFlags(): string[] {
  const pkgConfig = requireFile('/usr/bin/pkg-config', PACKAGES.pkgConfig, true);
  let out: string;
  try {
    out = execFileSync(pkgConfig, ['--cflags', '--libs', 'libqpid-proton'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    throw new PeerUnavailableError(
      `pkg-config does not know libqpid-proton: install the Debian package ${PACKAGES.protonCDev}; npm test installs it (scripts/install-peers.sh)`,
    );
  }
  return out
    .trim()
    .split(/\s+/)
    .filter((flag) => flag.length > 0);
}

/**
 * Starts Proton's C example broker (`broker HOST PORT`) on loopback. It is
 * given port 0 and prints the port the OS chose, so there is no race for a
 * free port. It runs in the examples folder so that its test certificates
 * (ssl-certs/) load and TLS is offered as well as plain AMQP; it allows SASL
 * ANONYMOUS only.
 */
export async function startProtonCBroker(): Promise<RunningPeer> {
  const binary = buildProtonCExample('broker');
  const proc = new PeerProcess('proton-c-broker', binary, [LOOPBACK, '0'], { cwd: PROTON_C_EXAMPLES });
  try {
    const [, port] = await proc.waitForOutput(/listening on (\d+)/, 15_000);
    return await ready(proc, Number(port), 15_000);
  } catch (e) {
    await proc.stop();
    throw e;
  }
}

/** Starts Proton's Python example broker (broker.py -a HOST:PORT) on loopback. */
export async function startProtonPythonBroker(): Promise<RunningPeer> {
  const script = requireFile(join(PROTON_PYTHON_EXAMPLES, 'broker.py'), PACKAGES.protonPythonExamples);
  return startPythonOnFreePort('proton-python-broker', script, (address) => ['-a', address]);
}

/**
 * Starts a receiver on Proton's C engine (proton_window_receiver.py, through
 * the Python binding) whose sessions have an incoming window of one frame:
 * each transfer after the first waits for its flow. It prints each message
 * as `message LINK BODY`, and a transport error as `transport-error ...`.
 */
export async function startProtonWindowReceiver(): Promise<RunningPeer> {
  const script = fileURLToPath(new URL('./proton_window_receiver.py', import.meta.url));
  return startPythonOnFreePort('proton-window-receiver', script, (address) => [address]);
}

/**
 * A Proton Python script listening on `HOST:PORT` (given by `args`). It cannot
 * report its port, so a free one is picked; if another process takes it
 * first the script exits and another is tried (three in all).
 */
async function startPythonOnFreePort(name: string, script: string, args: (address: string) => string[]): Promise<RunningPeer> {
  const python = protonPython();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = new PeerProcess(name, python, ['-u', script, ...args(`${LOOPBACK}:${port}`)], {
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    try {
      return await ready(proc, port, 20_000);
    } catch (e) {
      lastError = e;
      await proc.stop();
    }
  }
  throw lastError;
}

/** Waits until the peer's port accepts TCP connections; fails with its output if it exits first. */
async function ready(proc: PeerProcess, port: number, timeoutMs: number): Promise<RunningPeer> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(LOOPBACK, port, 500))) {
    if (proc.hasExited) throw new Error(`${proc.name} exited before listening on ${LOOPBACK}:${port}\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`${proc.name} not listening on ${LOOPBACK}:${port} after ${timeoutMs} ms\n${proc.output()}`);
    await sleep(50);
  }
  return runningPeer(proc, port);
}

function runningPeer(proc: PeerProcess, port: number): RunningPeer {
  let stopping: Promise<void> | undefined;
  return {
    host: LOOPBACK,
    port,
    url: `amqp://${LOOPBACK}:${port}`,
    pid: proc.pid,
    output: () => proc.output(),
    stop: () => (stopping ??= proc.stop()),
  };
}
