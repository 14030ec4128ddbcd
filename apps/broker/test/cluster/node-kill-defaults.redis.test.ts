// A node is killed (SIGKILL) in the middle of QoS 1 traffic, with the DEFAULT configuration
// (nothing tuned: node-dead-after 10 s, maxQueuedMessages 1000). Every message the
// publisher got a PUBACK for must reach the persistent subscriber, whichever node died:
// the subscriber's (it resumes on the survivor before the dead node is noticed, so the
// survivor takes over a silent owner and replays the log: more messages than the queue
// bound, none of them dropped) or the publisher's (its stored messages are in the log).
// The publisher keeps 100 QoS 1 publishes in flight and sends well over 1,000.
import { waitFor } from '@edgemq/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Cluster, type ClusterClient, connectTo, endAll, startCluster, unique, v5 } from './helpers.js';

const WINDOW = 100;

let cluster: Cluster;
beforeEach(async () => {
  cluster = await startCluster({ nodeIds: ['a', 'b'] });
}, 30_000);
afterEach(() => cluster?.stop());

/** Publishes numbered QoS 1 messages keeping `WINDOW` unacknowledged, until stopped. */
function keepPublishing(publisher: ClusterClient, topic: string) {
  const acknowledged: string[] = [];
  let sent = 0;
  let inFlight = 0;
  let stopped = false;
  const next = () => {
    while (!stopped && inFlight < WINDOW) {
      const payload = `m-${sent++}`;
      inFlight++;
      publisher.client.publish(topic, payload, { qos: 1 }, (error, packet) => {
        inFlight--;
        const code = (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0;
        if (!error && code < 0x80) acknowledged.push(payload);
        setImmediate(next);
      });
    }
  };
  next();
  return {
    acknowledged,
    sent: () => sent,
    stop: () => {
      stopped = true;
    },
  };
}

async function metric(node: { httpUrl: string }, name: string): Promise<number> {
  const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

const sessionOptions = (clientId: string) =>
  v5({ clientId, clean: false, properties: { sessionExpiryInterval: 300 } });

describe('a node killed under QoS 1 load, default configuration', () => {
  it("the subscriber's node: every acknowledged message reaches the subscriber after it resumes on the survivor", async () => {
    const topic = unique('kill-sub-node');
    const clientId = unique('sub');
    const subOnA = await connectTo(cluster.node('a'), 'ws', sessionOptions(clientId));
    await subOnA.client.subscribeAsync(topic, { qos: 1 });
    const publisher = await connectTo(cluster.node('b'), 'tcp', v5());
    const flow = keepPublishing(publisher, topic);
    let subOnB: ClusterClient | undefined;
    try {
      await waitFor(() => flow.acknowledged.length >= 1500, 20_000, '1,500 acknowledged before the kill');
      const ackedAtKill = flow.acknowledged.length;
      await cluster.node('a').spawned.stop('SIGKILL');
      // The kill landed mid-stream: the subscriber had not received everything acknowledged.
      expect(subOnA.messages.length, 'delivered to the old connection at the kill').toBeLessThan(flow.sent());
      await waitFor(
        () => flow.acknowledged.length >= ackedAtKill + 1000,
        20_000,
        'publishing on after the kill',
      );
      subOnB = await connectTo(cluster.node('b'), 'ws', sessionOptions(clientId));
      await waitFor(
        () => flow.acknowledged.length >= ackedAtKill + 2000,
        20_000,
        'publishing on after the resume',
      );
      flow.stop();
      const received = () =>
        new Set([...subOnA.messages, ...(subOnB?.messages ?? [])].map((m) => m.payload.toString()));
      await waitFor(
        () => {
          const now = received();
          return flow.acknowledged.every((p) => now.has(p));
        },
        30_000,
        'every acknowledged message at the subscriber',
      ).catch(() => undefined);
      const got = received();
      const lost = flow.acknowledged.filter((p) => !got.has(p));
      expect(lost.length, `lost of ${flow.acknowledged.length} acknowledged: ${lost.slice(0, 5)}`).toBe(0);
      expect(await metric(cluster.node('b'), 'edgemq_dropped_queue_overflow_total')).toBe(0);
      // Which path ran: the survivor took over a silent owner and replayed the log, more than
      // the queue bound of messages (the dead node is declared dead only 10 s after the kill,
      // and adopts nothing then: the session has moved on).
      const output = cluster.node('b').spawned.output();
      const replay = /"messages":(\d+)[^\n]*replayed the log into (it|the session)/.exec(output);
      expect(replay, 'the takeover replay line on b').not.toBeNull();
      expect(Number(replay?.[1])).toBeGreaterThan(1000);
      const adoption = /"sessions":(\d+)[^\n]*adopted the sessions of a dead node/.exec(output);
      if (adoption) expect(Number(adoption[1])).toBe(0);
    } finally {
      flow.stop();
      await endAll(...[subOnA, publisher, subOnB].filter((c): c is ClusterClient => c !== undefined));
    }
  }, 120_000);

  it("the publisher's node: every message it acknowledged reaches the subscriber on the survivor", async () => {
    const topic = unique('kill-pub-node');
    const subscriber = await connectTo(cluster.node('b'), 'tcp', sessionOptions(unique('sub')));
    await subscriber.client.subscribeAsync(topic, { qos: 1 });
    const publisher = await connectTo(cluster.node('a'), 'ws', v5());
    const flow = keepPublishing(publisher, topic);
    try {
      await waitFor(() => flow.acknowledged.length >= 1500, 20_000, '1,500 acknowledged before the kill');
      await cluster.node('a').spawned.stop('SIGKILL');
      flow.stop();
      // Mid-stream: publishes were still unacknowledged when the node went.
      expect(flow.sent() - flow.acknowledged.length, 'publishes in flight at the kill').toBeGreaterThan(0);
      const received = () => new Set(subscriber.messages.map((m) => m.payload.toString()));
      await waitFor(() => {
        const now = received();
        return flow.acknowledged.every((p) => now.has(p));
      }, 20_000).catch(() => undefined);
      const got = received();
      const lost = flow.acknowledged.filter((p) => !got.has(p));
      expect(lost.length, `lost of ${flow.acknowledged.length} acknowledged: ${lost.slice(0, 5)}`).toBe(0);
    } finally {
      flow.stop();
      await endAll(subscriber, publisher);
    }
  }, 60_000);
});
