// Medians over runs, the EdgeMQ ÷ peer ratios, the SVG chart and the Redis command counting.
import net from 'node:net';
import { startRedis } from '@edgemq/testkit';
import { describe, expect, it } from 'vitest';
import { median, medianFigures, representativeIndex } from '../src/report/median.js';
import { barChartSvg, compact, niceScale, tickLabel, wrap } from '../src/report/svg.js';
import { type Cell, ratioRows, ratioText } from '../src/scenarios/broker-bench.js';
import { commandStats, commandsBetween, parseCommandStats } from '../src/system/redis.js';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeUndefined();
    expect(median([undefined, 5])).toBe(5);
  });

  it('medianFigures: every number is its median, the rest comes from the representative run', () => {
    const runs = [
      { rate: 10, latency: { p99: 5 }, tag: 'a', list: [1] },
      { rate: 30, latency: { p99: 1 }, tag: 'b', list: [2] },
      { rate: 20, latency: { p99: 9 }, tag: 'c', list: [3] },
    ];
    expect(representativeIndex(runs, (r) => r.rate)).toBe(2);
    expect(medianFigures(runs, (r) => r.rate)).toEqual({
      rate: 20,
      latency: { p99: 5 },
      tag: 'c',
      list: [3],
    });
  });

  it('an even count picks the lower middle run as representative', () => {
    const runs = [{ rate: 4 }, { rate: 1 }, { rate: 3 }, { rate: 2 }];
    expect(representativeIndex(runs, (r) => r.rate)).toBe(3);
    expect(medianFigures(runs, (r) => r.rate).rate).toBe(2.5);
  });
});

describe('ratios', () => {
  const cell = (broker: 'edgemq' | 'mosquitto' | 'aedes', transport: 'tcp' | 'ws', rate: number) => ({
    broker,
    transport,
    figures: { rate },
    runs: [{ rate }],
  });

  it('divides EdgeMQ by each peer on the same transport only', () => {
    const cells: Cell<{ rate: number }>[] = [
      cell('edgemq', 'ws', 300),
      cell('mosquitto', 'ws', 100),
      cell('aedes', 'ws', 0),
      cell('aedes', 'tcp', 50),
    ];
    const rows = ratioRows(cells, [{ header: 'r', better: 'higher', get: (f) => f.rate, format: String }]);
    expect(rows).toEqual([
      { peer: 'mosquitto', transport: 'ws', ratios: [3] },
      { peer: 'aedes', transport: 'ws', ratios: [undefined] },
    ]);
  });
});

describe('svg chart', () => {
  it('nice scales and tick labels', () => {
    expect(niceScale(118_000)).toEqual({ max: 125_000, step: 25_000 });
    expect(niceScale(355)).toEqual({ max: 400, step: 100 });
    expect(niceScale(1)).toEqual({ max: 1, step: 0.2 });
    expect(niceScale(0)).toEqual({ max: 1, step: 0.2 });
    expect(tickLabel(0, 100)).toBe('0');
    expect(tickLabel(0.75, 0.25)).toBe('0.75');
    expect(tickLabel(7.5, 2.5)).toBe('7.5');
    expect(tickLabel(50_000, 25_000)).toBe('50k');
    expect(tickLabel(7_500, 2_500)).toBe('7.5k');
    expect(tickLabel(2_000_000, 1_000_000)).toBe('2M');
    expect(compact(188_594)).toBe('189k');
    expect(compact(43_816)).toBe('43.8k');
    expect(compact(1_250_000)).toBe('1.25M');
  });

  it('wraps text at spaces', () => {
    expect(wrap('aa bb cc dd', 5)).toEqual(['aa bb', 'cc dd']);
    expect(wrap('averyveryverylongword x', 5)).toEqual(['averyveryverylongword', 'x']);
  });

  it('draws one bar per broker and transport with a value, escapes text, has no NaN', () => {
    const values: Record<string, number> = { 'tcp/edgemq': 10, 'tcp/aedes': 5, 'ws/edgemq': 20 };
    const svg = barChartSvg({
      title: 'bench <pairs> & co',
      subtitle: ['a subtitle'],
      groups: ['tcp', 'ws'],
      series: ['edgemq', 'aedes'],
      panels: [
        {
          title: 'deliv',
          better: 'higher',
          format: compact,
          value: (g, s) => {
            const v = values[`${g}/${s}`];
            return v === undefined ? undefined : { median: v, runs: [v - 1, v, v + 1] };
          },
        },
      ],
    });
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('bench &lt;pairs&gt; &amp; co');
    expect(svg.match(/<rect [^>]*fill="#(2563eb|ea580c)"><title>/g)).toHaveLength(3);
    expect(svg.match(/<circle /g)).toHaveLength(1 + 9); // legend dot + 3 runs × 3 bars
    expect(svg).toContain('n/a');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });
});

describe('redis command counting', () => {
  it('parses INFO commandstats', () => {
    const text =
      '# Commandstats\r\ncmdstat_xadd:calls=12,usec=30,usec_per_call=2.5\r\ncmdstat_info:calls=2,usec=1\r\n';
    expect(parseCommandStats(text)).toEqual({ total: 14, byCommand: { xadd: 12, info: 2 } });
  });

  it('counts the commands between two readings of a real redis-server, less its own INFO', async () => {
    const redis = await startRedis({ mode: 'process' });
    try {
      const before = await commandStats(redis.url);
      const { port } = new URL(redis.url);
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
        let reply = '';
        socket.once('error', reject);
        socket.on('data', (chunk) => {
          reply += chunk.toString();
          if (reply.split('\r\n').length > 3) {
            socket.destroy();
            resolve();
          }
        });
        socket.write('SET a 1\r\nSET b 2\r\nPING\r\n');
      });
      const after = await commandStats(redis.url);
      const delta = commandsBetween(before, after);
      expect(delta.total).toBe(3);
      expect(delta.top).toEqual({ set: 2, ping: 1 });
    } finally {
      await redis.stop();
    }
  });
});

describe('ratio text', () => {
  it('keeps two significant digits for small ratios', () => {
    expect(ratioText(undefined)).toBe('-');
    expect(ratioText(0)).toBe('0.00×');
    expect(ratioText(0.00076)).toBe('0.00076×');
    expect(ratioText(0.51)).toBe('0.51×');
    expect(ratioText(13.04)).toBe('13.0×');
    expect(ratioText(250.4)).toBe('250×');
  });
});
