// The clients a scenario runs its fault against. The standard mix: publishers of every
// QoS over both transports and protocol levels, each on its own topic; subscribers to all
// of them with persistent and clean sessions; a shared group of persistent members; a
// publisher of one retained topic. Clients start on the nodes in turn (from a seeded
// offset), so each node holds a bit of everything. Every run has its own cluster, so
// client ids need only be unique within it.

import { type ClientKind, describeKind } from './clients/client-kind.js';
import { endClient, whenConnected } from './clients/observed-client.js';
import { Publisher, type PublisherSpec } from './clients/publisher.js';
import { Subscriber } from './clients/subscriber.js';
import type { ChaosCluster } from './cluster/chaos-cluster.js';
import type { Ledger, SubscriptionSpec } from './ledger/ledger.js';
import type { ChaosParams } from './params.js';
import { pickIndex, type Random } from './random.js';

export interface Workload {
  readonly publishers: Publisher[];
  readonly subscribers: Subscriber[];
  /** The publisher of the retained topic, if the workload has one. */
  readonly retained: Publisher | undefined;
}

export interface WorkloadEnv {
  readonly params: ChaosParams;
  readonly cluster: ChaosCluster;
  readonly ledger: Ledger;
  readonly random: Random;
  /** Topic root of this run: `chaos/<key prefix>`. */
  readonly root: string;
}

const kind = (version: 4 | 5, transport: 'tcp' | 'ws', persistent: boolean): ClientKind => ({
  version,
  transport,
  persistent,
});

const publisherMix: { kind: ClientKind; qos: 0 | 1 | 2 }[] = [
  { kind: kind(5, 'tcp', true), qos: 1 },
  { kind: kind(4, 'ws', false), qos: 1 },
  { kind: kind(5, 'ws', false), qos: 2 },
  { kind: kind(4, 'tcp', true), qos: 2 },
  { kind: kind(5, 'tcp', false), qos: 0 },
  { kind: kind(4, 'ws', true), qos: 0 },
];

const subscriberMix: { kind: ClientKind; qos: 1 | 2 }[] = [
  { kind: kind(5, 'tcp', true), qos: 2 },
  { kind: kind(4, 'ws', true), qos: 1 },
  { kind: kind(4, 'tcp', false), qos: 1 },
  { kind: kind(5, 'ws', false), qos: 2 },
];

const sharedMembers: ClientKind[] = [kind(5, 'tcp', true), kind(4, 'ws', true), kind(5, 'ws', true)];

/** Messages per second of the retained publisher: the value changes, the point is the last one. */
const RETAINED_RATE_PER_SEC = 2;

export function standardWorkload(env: WorkloadEnv): Workload {
  const { params, cluster, ledger, root } = env;
  const clientEnv = { ledger, cluster };
  let next = pickIndex(env.random, cluster.nodes.length);
  const home = () => next++ % cluster.nodes.length;
  const publisher = (spec: Omit<PublisherSpec, 'home'>) =>
    new Publisher(clientEnv, { ...spec, home: home() }, params.reconnectMs);

  const publishers = publisherMix.map(({ kind, qos }, i) => {
    return publisher({
      id: `pub-${i + 1}`,
      kind,
      topic: `${root}/t/pub-${i + 1}`,
      qos,
      retain: false,
      ratePerSec: params.ratePerSec,
      oneAtATime: false,
    });
  });
  const filter = `${root}/t/#`;
  const subscribers = subscriberMix.map(({ kind, qos }, i) => {
    const name = `sub-${i + 1}`;
    const subscription: SubscriptionSpec = {
      name,
      filter,
      qos,
      persistent: kind.persistent,
      description: `${describeKind(kind)} QoS ${qos}`,
    };
    return new Subscriber(clientEnv, { id: name, kind, home: home(), subscription }, params.reconnectMs);
  });
  const group: SubscriptionSpec = {
    name: 'shared-g',
    filter: `$share/g/${filter}`,
    qos: 1,
    persistent: true,
    description: `shared group of ${sharedMembers.map(describeKind).join(', ')}, QoS 1`,
  };
  sharedMembers.forEach((kind, i) => {
    subscribers.push(
      new Subscriber(
        clientEnv,
        { id: `g-${i + 1}`, kind, home: home(), subscription: group },
        params.reconnectMs,
      ),
    );
  });
  const retained = publisher({
    id: 'retained',
    kind: kind(5, 'ws', true),
    topic: `${root}/retained`,
    qos: 1,
    retain: true,
    ratePerSec: RETAINED_RATE_PER_SEC,
    oneAtATime: true,
  });
  return { publishers: [...publishers, retained], subscribers, retained };
}

/** Waits until every client is connected and every subscriber subscribed. */
export async function workloadReady(workload: Workload, timeoutMs: number): Promise<void> {
  const clients = [...workload.publishers, ...workload.subscribers].map((c) => c.client);
  await Promise.all(clients.map((c) => whenConnected(c, timeoutMs)));
  const deadline = Date.now() + timeoutMs;
  while (!workload.subscribers.every((s) => s.subscribed)) {
    if (Date.now() > deadline) throw new Error('subscribers not subscribed in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function closeWorkload(workload: Workload): Promise<void> {
  for (const p of workload.publishers) p.stop();
  await Promise.all([...workload.publishers, ...workload.subscribers].map((c) => endClient(c.client)));
}
