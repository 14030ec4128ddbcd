// Starting a broker for one run of a cell. `startBroker` registers the stop with the
// cleanup list, so Ctrl-C and errors stop it too. Topology `cluster`: a Redis started for
// the run and two broker nodes on it (EdgeMQ with EDGEMQ_REDIS_URL, aedes with its Redis
// persistence and emitter); stopping stops the nodes, then Redis.
import { onCleanup } from '../system/cleanup.js';
import { startBenchRedis } from '../system/redis.js';
import * as aedes from './aedes.js';
import {
  type BrokerName,
  type BrokerTls,
  clusterBrokerNames,
  type RunningBroker,
  type StartOptions,
  type Topology,
} from './broker.js';
import * as edgemq from './edgemq.js';
import * as mosquitto from './mosquitto.js';

type Starter = (options?: StartOptions) => Promise<RunningBroker>;

const starters: Record<BrokerName, Starter> = {
  edgemq: edgemq.start,
  mosquitto: mosquitto.start,
  aedes: aedes.start,
};

/** `tls`: also open the TLS listeners (wss, mqtts) with that certificate, on every node. */
export async function startBroker(
  name: BrokerName,
  topology: Topology = 'single',
  tls?: BrokerTls,
): Promise<RunningBroker> {
  const start = starters[name];
  const broker = topology === 'single' ? await start({ tls }) : await startCluster(name, start, tls);
  const stop = onCleanup(() => broker.stop());
  return { ...broker, output: broker.output, stop };
}

const CLUSTER_NODES = 2;

/**
 * A Redis of its own (testkit's `startRedis`, redis-server installed when missing) and
 * CLUSTER_NODES broker processes on it. Stops the nodes, then Redis.
 */
async function startCluster(name: BrokerName, start: Starter, tls?: BrokerTls): Promise<RunningBroker> {
  if (!clusterBrokerNames.includes(name)) {
    throw new Error(`${name} has no cluster mode here (cluster brokers: ${clusterBrokerNames.join(', ')})`);
  }
  const redis = await startBenchRedis();
  const nodes: RunningBroker[] = [];
  const stopAll = async () => {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    await redis.stop();
  };
  try {
    for (let node = 1; node <= CLUSTER_NODES; node++)
      nodes.push(await start({ redisUrl: redis.url, node, tls }));
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    name,
    version: nodes[0].version,
    pid: nodes[0].pid,
    pids: nodes.map((n) => n.pid),
    ports: nodes[0].ports,
    nodes: nodes.map((n) => n.ports),
    wsPath: nodes[0].wsPath,
    tls: nodes[0].tls,
    redis: { url: redis.url, pid: redis.pid, version: redis.version },
    output: () => nodes.map((n, i) => `--- node ${i + 1}\n${n.output()}`).join('\n'),
    stop: stopAll,
  };
}
