// Redis is killed and started again empty on the same port: sessions, queues, retained
// messages and the log are gone. Loss is expected here; what is required is that the
// cluster says so (a log line or a counter), and goes on serving.
import type { ChaosScenario } from '../scenario.js';

export const redisEmpty = (): ChaosScenario => ({
  name: 'redis-empty',
  description:
    'Redis killed (SIGKILL) and restarted empty; loss is expected, and must be reported by the nodes',
  lossExpected: true,
  async inject(ctx) {
    await ctx.cluster.redis.killAndRestartEmpty();
    ctx.notes.push('Redis restarted empty');
  },
  async observe(ctx, report) {
    const warnings = report.logLines.length;
    ctx.notes.push(`${warnings} warn/error log lines after the restart`);
  },
});
