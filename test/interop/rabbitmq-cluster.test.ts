/**
 * From one machine to a cluster (the README's "From the embedded broker to a
 * cluster"): a 3-node RabbitMQ 3.10 cluster on loopback, a quorum queue
 * declared through the management plugin's HTTP API and used through its
 * AMQP 1.0 address `/amq/queue/NAME`, the client on a failover list of the
 * three nodes. Mid-stream, the node the client is connected to is killed
 * with SIGKILL (kill -9). The client fails over to another node, and every
 * message whose send was accepted is received at least once (duplicates —
 * deliveries not yet settled when the node died — are counted, not lost).
 *
 * Robustness: nothing is done before what it needs is there — the cluster
 * lists all three nodes running (startRabbitMqCluster), and the quorum
 * queue has a leader with all three members online — and every wait is bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import { startRabbitMqCluster, waitFor, type ClusterNode, type RabbitMqCluster } from '../support/peers/index.js';
import { sendAndReceive } from './at-least-once.js';

const COUNT = 20_000;
const QUEUE = 'rx-amqp-cluster-orders';

interface QuorumQueueInfo {
  readonly type?: string;
  readonly leader?: string;
  readonly members?: readonly string[];
  readonly online?: readonly string[];
  readonly messages?: number;
}

describe("a 3-node RabbitMQ 3.10 cluster: a quorum queue, and the client's node killed mid-stream", () => {
  let cluster: RabbitMqCluster | undefined;

  beforeAll(async () => {
    cluster = await startRabbitMqCluster(3);
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 90_000);

  it(`${COUNT} durable messages: failover to another node, nothing accepted lost`, async () => {
    const c = cluster!;
    const queueInfo = async (): Promise<QuorumQueueInfo> => (await c.api('GET', `/api/queues/%2F/${QUEUE}`)) as QuorumQueueInfo;
    // A quorum queue, replicated on all three nodes, declared over HTTP as an operator would.
    await c.api('PUT', `/api/queues/%2F/${QUEUE}`, {
      durable: true,
      auto_delete: false,
      arguments: { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 3 },
    });
    await waitFor('the quorum queue to elect a leader with all three members online', 60_000, c.output, async () => {
      const info = await queueInfo().catch(() => ({}) as QuorumQueueInfo);
      return info.type === 'quorum' && info.leader !== undefined && info.members?.length === 3 && info.online?.length === 3;
    });
    const before = await queueInfo();

    const connection$ = connect({
      urls: c.nodes.map((n) => n.url),
      user: c.username,
      password: c.password,
      sasl: { allowInsecure: true },
      reconnect: { delay: 200 },
      connectTimeout: 5000,
    });
    // The node the client is on: the URL of the last open.
    const opened: string[] = [];
    const watching = connection$.status$.subscribe((s) => {
      if (s.type === 'open') opened.push(s.url);
    });
    let killed: ClusterNode | undefined;
    let kill: Promise<void> | undefined;
    let killedAt = -1;
    try {
      const tally = await sendAndReceive(
        connection$,
        `/amq/queue/${QUEUE}`,
        COUNT,
        { name: 'rx-amqp-cluster-receiver' },
        (progress) => {
          // Mid-stream: messages are in flight both ways (sends awaiting their outcome, deliveries unsettled).
          if (kill === undefined && progress >= COUNT && opened.length > 0) {
            killed = c.nodes.find((n) => n.url === opened.at(-1));
            killedAt = progress;
            kill = c.kill(killed!);
          }
        },
        100_000,
      );
      await kill;
      const failedOver = opened.slice(1);
      const after = await queueInfo();
      console.log(
        `rabbitmq cluster: ${COUNT} sent, killed ${killed?.name} (the client's node; leader before: ${before.leader}) at progress ${killedAt}/${2 * COUNT}; ` +
          `failed over to ${failedOver.join(', ') || 'nowhere'}; leader after: ${after.leader}, online ${after.online?.length}/3; ` +
          `${tally.accepted.size} accepted, ${tally.received.size} distinct received, ${tally.lost.length} lost, ${tally.duplicates} duplicates, ` +
          `other outcomes ${JSON.stringify([...tally.otherOutcomes])}, ${tally.ms} ms`,
      );
      if (tally.lost.length > 0) console.log(c.output());
      expect(killed, "the client's node was killed").toBeDefined();
      expect(failedOver.length).toBeGreaterThan(0);
      expect(failedOver).not.toContain(killed!.url);
      expect(tally.lost.slice(0, 10)).toEqual([]);
      expect(tally.accepted.size).toBe(COUNT);
      expect(after.online).not.toContain(killed!.name);
    } finally {
      watching.unsubscribe();
    }
  }, 180_000);
});
