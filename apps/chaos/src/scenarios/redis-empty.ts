// Redis is killed and started again empty on the same port: sessions, queues, retained
// messages and the log are gone. One persistent subscriber is offline across the restart
// (it disconnected properly just before, so its messages wait in its session queue in
// Redis), the way a device is asleep when it happens. Loss is expected here; what is
// required is that the cluster says so (a log line or a counter) and goes on serving.
import { endClient } from '../clients/observed-client.js';
import type { Subscriber } from '../clients/subscriber.js';
import type { ChaosScenario } from '../scenario.js';
import { sleep } from '../until.js';

/** How long the subscriber is away before the restart, so that something waits for it in Redis. */
const OFFLINE_BEFORE_RESTART_MS = 1000;

export function redisEmpty(): ChaosScenario {
  let offline: Subscriber | undefined;
  return {
    name: 'redis-empty',
    description:
      'Redis killed (SIGKILL) and restarted empty; loss is expected, and must be reported by the nodes',
    lossExpected: true,
    async inject(ctx) {
      offline = ctx.workload.subscribers.find(
        (s) => s.spec.kind.persistent && !s.spec.subscription.filter.startsWith('$share/'),
      );
      if (offline !== undefined) await endClient(offline.client, false);
      await sleep(OFFLINE_BEFORE_RESTART_MS);
      await ctx.cluster.redis.killAndRestartEmpty();
      ctx.notes.push(`Redis restarted empty${offline ? `, ${offline.spec.id} offline across it` : ''}`);
    },
    async afterLift() {
      offline?.client.reconnect();
    },
    async observe(ctx, report) {
      ctx.notes.push(`${report.logLines.length} warn/error log lines after the restart`);
    },
  };
}
