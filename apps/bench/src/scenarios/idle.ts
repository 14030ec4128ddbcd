// idle: opens `--connections` MQTT connections that then do nothing (keep-alive 60 s,
// PINGREQ every 30 s) and reads the broker's RSS before and after: memory per connection.
// Also the time to connect them all (`connectConcurrency` CONNECTs in flight per worker)
// and the broker's CPU while they sit idle for `--seconds`.
import { readFileSync } from 'node:fs';
import { sleep, startHolder } from '../load/coordinator.js';
import { compact } from '../report/svg.js';
import { formatInt, numberFlag, UsageError } from '../scenario.js';
import { CpuMeter, memory, openFilesLimit } from '../system/proc.js';
import { defineBrokerScenario, emptyPlan, mib, pct } from './broker-bench.js';

interface IdleFigures {
  connections: number;
  connectMs: number;
  connectionsPerSec: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  peakRssBytes: number;
  bytesPerConnection: number;
  idleCpuPct: number;
  /** Machine CPU% used by everything else while idle (the holders' pings, other processes). */
  otherCpuPct: number;
}

const SETTLE_MS = 1000;
const FD_MARGIN = 256;

function checkLimits(connections: number, workers: number): void {
  const limit = openFilesLimit();
  // The broker holds every connection; each worker holds its share.
  const need = connections + FD_MARGIN;
  if (limit !== undefined && limit < need) {
    throw new UsageError(
      `open-file limit (ulimit -n) is ${limit}, idle needs at least ${need} for ${connections} connections ` +
        `(the broker holds one descriptor each). Raise it in the shell first (\`ulimit -n ${Math.max(65536, need)}\`, ` +
        'as root or within the hard limit), or lower --connections.',
    );
  }
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (high - low + 1 < connections) {
      throw new UsageError(
        `only ${high - low + 1} ephemeral ports (net.ipv4.ip_local_port_range ${low} ${high}) for ${connections} ` +
          'connections to one broker port; widen the range or lower --connections',
      );
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
  }
  void workers;
}

export const idle = defineBrokerScenario<IdleFigures>({
  name: 'idle',
  description: 'N idle MQTT connections: broker RSS per connection, connect rate, idle CPU',
  flags: {
    connections: { type: 'string', default: '10000', description: 'idle connections to open' },
    concurrency: {
      type: 'string',
      default: '100',
      description: 'CONNECTs in flight per worker while opening',
    },
  },
  settings: (args, common) => {
    const connections = numberFlag(args, 'connections', { min: 1, integer: true });
    const concurrency = numberFlag(args, 'concurrency', { min: 1, integer: true });
    checkLimits(connections, common.workers);
    return { connections, concurrency };
  },
  async measure(ctx) {
    const { connections, concurrency } = ctx.settings as { connections: number; concurrency: number };
    const pid = ctx.broker.pid;
    await sleep(SETTLE_MS);
    const before = memory(pid)!;
    const workers = ctx.common.workers;
    const plans = Array.from({ length: workers }, (_, w) => ({
      ...emptyPlan(ctx, w),
      idleConnections: Math.floor(connections / workers) + (w < connections % workers ? 1 : 0),
      connectConcurrency: concurrency,
    }));
    process.stderr.write(`${ctx.label} opening ${formatInt(connections)} connections\n`);
    const t0 = performance.now();
    const holders = await Promise.all(plans.map((p) => startHolder(p)));
    const connectMs = performance.now() - t0;
    const opened = holders.reduce((s, h) => s + h.ready.connections, 0);
    process.stderr.write(
      `${ctx.label} ${formatInt(opened)} connected in ${(connectMs / 1000).toFixed(1)} s; idle for ${ctx.common.seconds} s\n`,
    );
    try {
      await sleep(SETTLE_MS);
      const cpu = CpuMeter.forPids(() => [pid]);
      const host = CpuMeter.forHost();
      await sleep(ctx.common.seconds * 1000);
      const idleCpuPct = cpu.read();
      const otherCpuPct = Math.max(0, host.read() - idleCpuPct);
      const after = memory(pid)!;
      return {
        connections: opened,
        connectMs: Math.round(connectMs),
        connectionsPerSec: opened / (connectMs / 1000),
        rssBeforeBytes: before.rssBytes,
        rssAfterBytes: after.rssBytes,
        peakRssBytes: after.peakRssBytes,
        bytesPerConnection: (after.rssBytes - before.rssBytes) / opened,
        idleCpuPct,
        otherCpuPct,
      };
    } finally {
      await Promise.all(holders.map((h) => h.close()));
    }
  },
  columns: [
    { header: 'connections', value: (c) => formatInt(c.figures.connections) },
    { header: 'connect s', value: (c) => (c.figures.connectMs / 1000).toFixed(1) },
    { header: 'conn/s', value: (c) => formatInt(c.figures.connectionsPerSec) },
    { header: 'RSS before MiB', value: (c) => mib(c.figures.rssBeforeBytes) },
    { header: 'RSS after MiB', value: (c) => mib(c.figures.rssAfterBytes) },
    { header: 'KiB/conn', value: (c) => (c.figures.bytesPerConnection / 1024).toFixed(1) },
    { header: 'idle CPU', value: (c) => pct(c.figures.idleCpuPct) },
    { header: 'other CPU', value: (c) => pct(c.figures.otherCpuPct) },
  ],
  metrics: [
    {
      header: 'KiB/conn',
      better: 'lower',
      get: (f) => f.bytesPerConnection / 1024,
      format: (v) => v.toFixed(1),
      chart: 'broker RSS per connection, KiB',
    },
    {
      header: 'conn/s',
      better: 'higher',
      get: (f) => f.connectionsPerSec,
      format: compact,
      chart: 'connections opened per second',
    },
    { header: 'idle CPU', better: 'lower', get: (f) => f.idleCpuPct, format: (v) => `${Math.round(v)}%` },
  ],
});
