// A persistent QoS 1 subscriber that reads slowly for a while (its bytes trickle in at
// --slow-bytes-per-sec, the rest waits in the kernel). The node must hold back for it
// within its bounds (in-flight window, session queue, socket buffer), keep everyone else
// served, and give it everything it owes once it reads at full speed again.
import { describeKind } from '../clients/client-kind.js';
import { HOST } from '../clients/endpoints.js';
import { Subscriber } from '../clients/subscriber.js';
import { type ReadThrottle, throttledTcp } from '../clients/throttled-socket.js';
import type { ChaosScenario } from '../scenario.js';
import { sleep } from '../until.js';
import { standardWorkload } from '../workload.js';

const kind = { version: 4, transport: 'tcp', persistent: true } as const;
export function slowReader(): ChaosScenario {
  const throttle: ReadThrottle = { bytesPerSec: undefined };
  return {
    name: 'slow-reader',
    description: 'a persistent QoS 1 subscriber reads at --slow-bytes-per-sec for --slow seconds',
    lossExpected: false,
    workload(env) {
      const workload = standardWorkload(env);
      const ports = env.cluster.nodes.map((n) => n.tcpPort);
      const subscription = {
        name: 'slow',
        filter: `${env.root}/t/#`,
        qos: 1 as const,
        persistent: true,
        description: `${describeKind(kind)} QoS 1, reading slowly`,
      };
      const streamBuilder = throttledTcp(HOST, ports, throttle);
      const spec = { id: 'slow', kind, home: 0, subscription, streamBuilder };
      workload.subscribers.push(
        new Subscriber({ ledger: env.ledger, cluster: env.cluster }, spec, env.params.reconnectMs),
      );
      return workload;
    },
    async inject(ctx) {
      throttle.bytesPerSec = ctx.params.slowBytesPerSec;
      ctx.cleanups.push(() => {
        throttle.bytesPerSec = undefined;
      });
      await sleep(ctx.params.slowMs);
      throttle.bytesPerSec = undefined;
      ctx.notes.push(`slow for ${ctx.params.slowMs / 1000} s at ${ctx.params.slowBytesPerSec} B/s`);
    },
    async observe(ctx, report) {
      const drops = report.counterChanges.filter((c) => c.includes('dropped'));
      if (drops.length > 0) ctx.notes.push(drops.join('; '));
    },
  };
}
