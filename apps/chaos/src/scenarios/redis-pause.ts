// Redis stops answering for a while (SIGSTOP: the port stays open, the data is kept),
// then carries on (SIGCONT). Nodes must not acknowledge what they cannot store and must
// deliver everything they did acknowledge once Redis is back.
import type { ChaosScenario } from '../scenario.js';
import { sleep } from '../until.js';

export const redisPause = (): ChaosScenario => ({
  name: 'redis-pause',
  description: 'Redis frozen (SIGSTOP) for --outage seconds, then thawed with its data',
  lossExpected: false,
  async inject(ctx) {
    ctx.cluster.redis.freeze();
    ctx.cleanups.push(() => ctx.cluster.redis.thaw());
    await sleep(ctx.params.outageMs);
    ctx.cluster.redis.thaw();
    ctx.notes.push(`Redis frozen ${ctx.params.outageMs / 1000} s`);
  },
});
