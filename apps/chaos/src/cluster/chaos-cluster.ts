// Three (or n) real `bin/edgemq` processes on one local Redis, each with the default
// configuration apart from ports, Redis URL, node id and a key prefix of its own run. A
// node can be killed or terminated; the cluster remembers which are gone so clients and
// reports only look at the living.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { repoRoot, type SpawnedNode, spawnNode } from '@edgemq/testkit';
import { LocalRedis } from './local-redis.js';

export interface ChaosNode {
  readonly id: string;
  readonly spawned: SpawnedNode;
  readonly tcpPort: number;
  readonly httpPort: number;
  /** False once the process exited. */
  alive(): boolean;
}

export class ChaosCluster {
  private constructor(
    readonly redis: LocalRedis,
    readonly keyPrefix: string,
    readonly nodes: readonly ChaosNode[],
  ) {}

  static async start(nodeCount: number): Promise<ChaosCluster> {
    if (!existsSync(`${repoRoot}apps/broker/dist/main.js`)) {
      throw new Error('apps/broker/dist/main.js is missing: run `npx tsc -b` (make build) first');
    }
    const redis = await LocalRedis.start();
    const keyPrefix = `chaos-${randomBytes(4).toString('hex')}`;
    const ids = Array.from({ length: nodeCount }, (_, i) => `node-${String.fromCharCode(97 + i)}`);
    const started = await Promise.allSettled(
      ids.map((id) =>
        spawnNode({
          env: { EDGEMQ_REDIS_URL: redis.url, EDGEMQ_NODE_ID: id, EDGEMQ_REDIS_KEY_PREFIX: keyPrefix },
        }),
      ),
    );
    const spawned = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(spawned.map((s) => s.stop('SIGKILL', 2000)));
      await redis.stop();
      throw failed.reason;
    }
    return new ChaosCluster(
      redis,
      keyPrefix,
      spawned.map((s, i) => chaosNode(ids[i], s)),
    );
  }

  living(): ChaosNode[] {
    return this.nodes.filter((n) => n.alive());
  }

  nodeByTcpOrHttpPort(port: number): ChaosNode | undefined {
    return this.nodes.find((n) => n.tcpPort === port || n.httpPort === port);
  }

  /** Stops every node still running (SIGTERM, SIGKILL after a while), then Redis. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.spawned.stop('SIGTERM', 5000)));
    await this.redis.stop();
  }
}

function chaosNode(id: string, spawned: SpawnedNode): ChaosNode {
  const process = spawned.process;
  return {
    id,
    spawned,
    tcpPort: spawned.ports.mqtt,
    httpPort: spawned.ports.http,
    alive: () => process.exitCode === null && process.signalCode === null,
  };
}
