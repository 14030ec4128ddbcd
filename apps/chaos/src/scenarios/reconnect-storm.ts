// Many persistent clients (--storm-clients, spread over the nodes and over v3.1.1/5 and
// tcp/ws) hear one QoS 1 publisher; one node is killed (-9), so a third of them reconnect
// to the others at once. Measured: the time until all are connected again (in the notes)
// and until all are served again (the recovery column); every acknowledged message must
// still reach every one of them.
import { type ClientKind, describeKind } from '../clients/client-kind.js';
import { Publisher } from '../clients/publisher.js';
import { Subscriber } from '../clients/subscriber.js';
import type { ClientRecord } from '../ledger/ledger.js';
import type { ChaosScenario } from '../scenario.js';
import { until } from '../until.js';
import { clientsConnectedTo, pickVictim, signalNode } from './victims.js';

const persistentKinds: ClientKind[] = ([4, 5] as const).flatMap((version) =>
  (['tcp', 'ws'] as const).map((transport) => ({ version, transport, persistent: true })),
);

export function reconnectStorm(): ChaosScenario {
  let killedAt = 0;
  let moved: ClientRecord[] = [];
  return {
    name: 'reconnect-storm',
    description: '--storm-clients persistent subscribers; kill -9 of one node; all reconnect at once',
    lossExpected: false,
    workload(env) {
      const clientEnv = { ledger: env.ledger, cluster: env.cluster };
      const nodes = env.cluster.nodes.length;
      const topic = `${env.root}/storm`;
      const publisher = new Publisher(
        clientEnv,
        {
          id: 'storm-pub',
          kind: { version: 5, transport: 'tcp', persistent: true },
          home: 0,
          topic,
          qos: 1,
          retain: false,
          ratePerSec: env.params.stormRatePerSec,
          oneAtATime: false,
        },
        env.params.reconnectMs,
      );
      const subscribers = Array.from({ length: env.params.stormClients }, (_, i) => {
        const kind = persistentKinds[i % persistentKinds.length];
        const id = `storm-${i + 1}`;
        const subscription = {
          name: id,
          filter: topic,
          qos: 1 as const,
          persistent: true,
          description: `${describeKind(kind)} QoS 1`,
        };
        return new Subscriber(clientEnv, { id, kind, home: i % nodes, subscription }, env.params.reconnectMs);
      });
      return { publishers: [publisher], subscribers, retained: undefined };
    },
    async inject(ctx) {
      const victim = pickVictim(ctx);
      moved = clientsConnectedTo(ctx, victim);
      await signalNode(victim, 'SIGKILL');
      killedAt = Date.now();
      ctx.notes.push(`SIGKILL ${victim.id}: ${moved.length} of ${ctx.ledger.clients.size} clients on it`);
    },
    async afterLift(ctx) {
      // Connected again = a CONNACK after the kill, for every client the dead node had.
      const back = () => moved.every((c) => (c.connects.at(-1)?.at ?? 0) >= killedAt);
      const all = await until(back, ctx.params.serveTimeoutMs, 20);
      const took = ((Date.now() - killedAt) / 1000).toFixed(1);
      ctx.notes.push(`${all ? 'all' : 'not all'} ${moved.length} connected again after ${took} s`);
      if (!all) {
        const missing = moved.filter((c) => (c.connects.at(-1)?.at ?? 0) < killedAt).length;
        ctx.failures.push(`${missing} clients of the dead node not connected again`);
      }
    },
  };
}
