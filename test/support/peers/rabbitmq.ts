/**
 * A private RabbitMQ 3.10 node with the AMQP 1.0 plugin, on loopback, in a
 * temporary directory. The Debian package's service is never used: each call
 * starts its own node (unique node name, free AMQP and distribution ports), so
 * parallel test files do not share state.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOOPBACK, PROTOCOL_SASL, exchangeProtocolHeader, freePortBelowEphemeral, isAmqpHeader, sleep } from './net.js';
import { PACKAGES, requireFile } from './packages.js';
import { PeerProcess } from './peer-process.js';
import type { RunningRabbitMq } from './running-peer.js';

export const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin';
const EPMD = '/usr/bin/epmd';

export const RABBITMQ_USER = 'rx-amqp';
export const RABBITMQ_PASSWORD = 'rx-amqp-secret';

/** What a test node needs besides the defaults. */
export interface RabbitMqOptions {
  /** More rabbitmq.conf lines, e.g. `max_message_size = 536870912`. */
  readonly config?: readonly string[];
}

/**
 * Starts a RabbitMQ node and resolves once it answers the AMQP 1.0 SASL
 * protocol header (the TCP listener opens a little before the AMQP 1.0
 * plugin is ready, so accepting connections is not enough). Boot takes about
 * 5-10 s. `stop()` shuts the node down, deletes its directory and stops epmd
 * when no other node is registered with it.
 */
export async function startRabbitMq(options: RabbitMqOptions = {}): Promise<RunningRabbitMq> {
  const server = requireFile(join(RABBITMQ_BIN, 'rabbitmq-server'), PACKAGES.rabbitmq, true);
  let lastError: unknown;
  // The free ports are picked (below the ephemeral range, which outgoing connections take from) before the node binds them; retry if we lose the race.
  for (let attempt = 0; attempt < 2; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-rabbitmq-'));
    const port = await freePortBelowEphemeral();
    const distPort = await freePortBelowEphemeral();
    const nodeName = `rxamqp${process.pid}x${attempt}x${port}@localhost`;
    writeNodeConfig(dir, port, options);
    const proc = spawnNode(server, dir, nodeName, distPort);
    const stop = async (): Promise<void> => {
      await proc.stop(20_000);
      stopIdleEpmd();
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await waitForAmqp10(proc, port, 90_000);
      return {
        host: LOOPBACK,
        port,
        url: `amqp://${LOOPBACK}:${port}`,
        username: RABBITMQ_USER,
        password: RABBITMQ_PASSWORD,
        nodeName,
        rabbitmqctl: rabbitmqctlFor(nodeName, dir),
        output: () => proc.output(),
        stop: once(stop),
      };
    } catch (e) {
      lastError = e;
      await stop();
    }
  }
  throw lastError;
}

/** A RabbitMQ node that a test can crash (`kill -9`) and boot again. */
export interface RestartableRabbitMq extends RunningRabbitMq {
  /** SIGKILL to the node's whole process group (the start script and the Erlang VM); resolves once it has exited. */
  kill(): Promise<void>;
  /** Boots the node again with the same name, port, distribution port and data directory; resolves once AMQP 1.0 answers. */
  restart(): Promise<void>;
  /**
   * Writes the node's definitions (queues, exchanges, bindings, users) to
   * disk now, so that a crash after this keeps them: call it after declaring
   * a queue that must survive `kill()`. Why: RabbitMQ 3.10 keeps definitions
   * in Mnesia. A queue declaration is a Mnesia transaction logged as two
   * records, its changes and then its `committed` decision; the decision is
   * appended asynchronously (by mnesia_recover), so the log sync RabbitMQ
   * does after the declaration can write the changes without it, and the
   * decision then waits in OTP disk_log's write cache for up to 2 s. A node
   * killed in that window comes back without the queue (Mnesia presumes an
   * undecided transaction aborted: "Recovering 0 queues"), and with it every
   * message RabbitMQ had accepted into that queue. This runs
   * `mnesia:sync_log()` on the node, which writes the cache out and fsyncs.
   */
  flushDefinitions(): void;
}

/**
 * Like {@link startRabbitMq}, plus `kill()` and `restart()`: the node comes
 * back on the same AMQP port with the same Mnesia directory, so durable
 * queues and persistent messages survive a crash as they would in production.
 */
export async function startRestartableRabbitMq(): Promise<RestartableRabbitMq> {
  const server = requireFile(join(RABBITMQ_BIN, 'rabbitmq-server'), PACKAGES.rabbitmq, true);
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-rabbitmq-'));
  const port = await freePortBelowEphemeral();
  const distPort = await freePortBelowEphemeral();
  const nodeName = `rxamqp${process.pid}r${port}@localhost`;
  writeNodeConfig(dir, port);
  let proc = spawnNode(server, dir, nodeName, distPort);
  const kill = async (): Promise<void> => {
    proc.signal('SIGKILL');
    await proc.exited;
  };
  const stop = once(async () => {
    await proc.stop(20_000);
    stopIdleEpmd();
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    await waitForAmqp10(proc, port, 90_000);
  } catch (e) {
    await stop();
    throw e;
  }
  const rabbitmqctl = rabbitmqctlFor(nodeName, dir);
  return {
    host: LOOPBACK,
    port,
    url: `amqp://${LOOPBACK}:${port}`,
    username: RABBITMQ_USER,
    password: RABBITMQ_PASSWORD,
    nodeName,
    rabbitmqctl,
    output: () => proc.output(),
    stop,
    kill,
    flushDefinitions: () => {
      const answer = rabbitmqctl(['eval', 'mnesia:sync_log().']).trim();
      if (answer !== 'ok') throw new Error(`mnesia:sync_log() on ${nodeName} answered ${answer}`);
    },
    restart: async () => {
      await kill();
      proc = spawnNode(server, dir, nodeName, distPort);
      await waitForAmqp10(proc, port, 90_000);
    },
  };
}

/** `rabbitmqctl -n NODE ARGS…` with the node's Erlang cookie (its HOME is `dir`); returns stdout, throws on failure. @internal */
export function rabbitmqctlFor(nodeName: string, dir: string): (args: readonly string[]) => string {
  return (args) =>
    execFileSync(join(RABBITMQ_BIN, 'rabbitmqctl'), ['-n', nodeName, ...args], {
      encoding: 'utf8',
      env: { ...process.env, HOME: dir, ERL_EPMD_ADDRESS: LOOPBACK },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
}

/** Extra settings of a node: more rabbitmq.conf lines and plugins beside rabbitmq_amqp1_0. */
export interface NodeConfigExtras {
  readonly config?: readonly string[];
  readonly plugins?: readonly string[];
}

/** Writes rabbitmq.conf and enabled_plugins for a node listening for AMQP on LOOPBACK:port. @internal also used by rabbitmq-cluster.ts */
export function writeNodeConfig(dir: string, port: number, extras: NodeConfigExtras = {}): void {
  writeFileSync(
    join(dir, 'rabbitmq.conf'),
    [
      `listeners.tcp.1 = ${LOOPBACK}:${port}`,
      'loopback_users = none',
      `default_user = ${RABBITMQ_USER}`,
      `default_pass = ${RABBITMQ_PASSWORD}`,
      // SASL ANONYMOUS over AMQP 1.0 acts as this user (the default, guest, does not exist here).
      `amqp1_0.default_user = ${RABBITMQ_USER}`,
      'log.console = true',
      'log.console.level = warning',
      'log.file = false',
      ...(extras.config ?? []),
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'enabled_plugins'), `[${['rabbitmq_amqp1_0', ...(extras.plugins ?? [])].join(',')}].\n`);
}

/** Starts the node `nodeName` whose files are in `dir` (its HOME, so its Erlang cookie is dir/.erlang.cookie). @internal */
export function spawnNode(server: string, dir: string, nodeName: string, distPort: number): PeerProcess {
  return new PeerProcess('rabbitmq', server, [], {
    cwd: dir,
    env: {
      ...process.env,
      HOME: dir, // a private Erlang cookie
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_NODENAME: nodeName,
      RABBITMQ_NODE_IP_ADDRESS: LOOPBACK,
      RABBITMQ_DIST_PORT: String(distPort),
      ERL_EPMD_ADDRESS: LOOPBACK,
    },
  });
}

/** Resolves once LOOPBACK:port answers the AMQP 1.0 SASL header; rejects if the node exits or `timeoutMs` passes. @internal */
export async function waitForAmqp10(proc: PeerProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.hasExited) throw new Error(`RabbitMQ exited before listening on ${LOOPBACK}:${port}\n${proc.output()}`);
    const answer = await exchangeProtocolHeader(LOOPBACK, port, PROTOCOL_SASL, 2000).catch(() => undefined);
    if (answer !== undefined && isAmqpHeader(answer, PROTOCOL_SASL)) return;
    if (Date.now() > deadline) throw new Error(`RabbitMQ did not speak AMQP 1.0 on ${LOOPBACK}:${port} within ${timeoutMs} ms\n${proc.output()}`);
    await sleep(200);
  }
}

/** Stops the epmd daemon the node started, unless another Erlang node still uses it. */
export function stopIdleEpmd(): void {
  const env = { ...process.env, ERL_EPMD_ADDRESS: LOOPBACK };
  try {
    const names = execFileSync(EPMD, ['-names'], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    if (/^name /m.test(names)) return;
    // epmd itself refuses -kill while nodes are registered, which closes the race with a node starting now.
    execFileSync(EPMD, ['-kill'], { env, stdio: 'ignore', timeout: 5000 });
  } catch {
    // epmd is not running (or already stopping).
  }
}

/** `f` run at most once; later calls get the first call's promise. @internal */
export function once(f: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= f());
}
