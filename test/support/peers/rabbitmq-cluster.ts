/**
 * A private RabbitMQ 3.10 cluster of three nodes on loopback, each with the
 * AMQP 1.0 and management plugins, in temporary directories, for tests of
 * what users meet when they move from one broker to a cluster (failover,
 * quorum queues, a node crashing).
 *
 * The nodes share an Erlang cookie and form the cluster by RabbitMQ's
 * classic-config peer discovery: the first node boots alone, then the others
 * boot and join it (booting all three at once could let two of them each
 * form a cluster of their own). Every wait is bounded and, when it runs out,
 * fails with what the nodes said.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOOPBACK, freePortBelowEphemeral, sleep } from './net.js';
import { PACKAGES, requireFile } from './packages.js';
import type { PeerProcess } from './peer-process.js';
import { RABBITMQ_BIN, RABBITMQ_PASSWORD, RABBITMQ_USER, once, spawnNode, stopIdleEpmd, waitForAmqp10, writeNodeConfig } from './rabbitmq.js';

/** One node of the cluster. */
export interface ClusterNode {
  readonly name: string;
  /** The AMQP port, on LOOPBACK. */
  readonly port: number;
  readonly url: string;
  /** The management plugin's HTTP port, on LOOPBACK. */
  readonly managementPort: number;
  /** Has not been killed. */
  readonly alive: boolean;
}

export interface RabbitMqCluster {
  readonly nodes: readonly ClusterNode[];
  readonly username: string;
  readonly password: string;
  /**
   * A management HTTP API call (`/api/...`) to the first live node, as the
   * default user; resolves with the JSON answer (or null for an empty body),
   * rejects on an HTTP error. Bounded by 10 s.
   */
  api(method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown>;
  /** SIGKILL to the node's start script and Erlang VM (kill -9); resolves once it has exited. */
  kill(node: ClusterNode): Promise<void>;
  /** The nodes' recent output, for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

interface NodeState {
  name: string;
  port: number;
  managementPort: number;
  distPort: number;
  dir: string;
  proc: PeerProcess | undefined;
  alive: boolean;
}

const COOKIE = 'RXAMQPCLUSTERCOOKIE';

/** Starts the cluster; resolves once all three nodes run as one cluster and speak AMQP 1.0 (about 20-40 s). */
export async function startRabbitMqCluster(size = 3): Promise<RabbitMqCluster> {
  const server = requireFile(join(RABBITMQ_BIN, 'rabbitmq-server'), PACKAGES.rabbitmq, true);
  let lastError: unknown;
  // A node that exits while booting most often lost a port to another process (chosen, then bound
  // seconds later): start again with other ports, as startRabbitMq does.
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startCluster(server, size, attempt);
    } catch (e) {
      lastError = e;
      if (!(e instanceof NodeExited)) throw e;
    }
  }
  throw lastError;
}

/** A node exited before it listened. */
class NodeExited extends Error {}

async function startCluster(server: string, size: number, attempt: number): Promise<RabbitMqCluster> {
  const nodes: NodeState[] = [];
  for (let i = 1; i <= size; i++) {
    nodes.push({
      name: `rxamqpc${i}x${process.pid}x${attempt}x${Math.floor(Math.random() * 1e6)}@localhost`,
      // Ports are chosen when the node starts (start()), so they are held free for as short a time as can be.
      port: 0,
      managementPort: 0,
      distPort: 0,
      dir: mkdtempSync(join(tmpdir(), `rx-amqp-cluster-${i}-`)),
      proc: undefined,
      alive: true,
    });
  }
  const config = (node: NodeState): readonly string[] => [
    `management.tcp.port = ${node.managementPort}`,
    `management.tcp.ip = ${LOOPBACK}`,
    'cluster_formation.peer_discovery_backend = classic_config',
    ...nodes.map((n, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${n.name}`),
    // A node that crashed is seen as gone when its connections drop (kill -9 closes them at once); this bounds the rest.
    'net_ticktime = 10',
  ];
  const start = async (node: NodeState): Promise<void> => {
    node.port = await freePortBelowEphemeral();
    node.managementPort = await freePortBelowEphemeral();
    node.distPort = await freePortBelowEphemeral();
    writeNodeConfig(node.dir, node.port, { config: config(node), plugins: ['rabbitmq_management'] });
    writeFileSync(join(node.dir, '.erlang.cookie'), COOKIE, { mode: 0o400 });
    const proc = spawnNode(server, node.dir, node.name, node.distPort);
    node.proc = proc;
    try {
      await waitForAmqp10(proc, node.port, 120_000);
    } catch (e) {
      throw proc.hasExited ? new NodeExited((e as Error).message) : e;
    }
  };
  const output = (): string => nodes.map((n) => `--- ${n.name}${n.alive ? '' : ' (killed)'}\n${n.proc?.output().slice(-3000) ?? ''}`).join('\n');
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.proc?.stop(20_000)));
    stopIdleEpmd();
    for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
  };

  const api = async (method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> => {
    const node = nodes.find((n) => n.alive);
    if (node === undefined) throw new Error('no live node');
    const response = await fetch(`http://${LOOPBACK}:${node.managementPort}${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${RABBITMQ_USER}:${RABBITMQ_PASSWORD}`).toString('base64')}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return text === '' ? null : (JSON.parse(text) as unknown);
  };

  try {
    // The first node alone, then the others, which find it and join.
    await start(nodes[0]!);
    await Promise.all(nodes.slice(1).map(start));
    await waitFor('the cluster to list every node as running', 60_000, output, async () => {
      const listed = (await api('GET', '/api/nodes').catch(() => [])) as { name: string; running: boolean }[];
      return nodes.every((n) => listed.some((l) => l.name === n.name && l.running));
    });
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    get nodes() {
      return nodes.map((n) => ({ name: n.name, port: n.port, url: `amqp://${LOOPBACK}:${n.port}`, managementPort: n.managementPort, alive: n.alive }));
    },
    username: RABBITMQ_USER,
    password: RABBITMQ_PASSWORD,
    api,
    kill: async (target) => {
      const node = nodes.find((n) => n.name === target.name)!;
      node.alive = false;
      node.proc?.signal('SIGKILL');
      await node.proc?.exited;
    },
    output,
    stop: once(stop),
  };
}

/** Polls `check` every 250 ms until it is true; rejects after `timeoutMs` with what the nodes said. */
export async function waitFor(what: string, timeoutMs: number, output: () => string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${output()}`);
    await sleep(250);
  }
}
