// What every broker-comparison scenario shares: the flags (`--brokers`, `--transport`,
// `--seconds`, `--warmup`, `--workers`, `--out`, `--no-save`), one fresh broker per
// (broker, transport) cell, the side-by-side table, and the saved record (JSON, Markdown,
// README). A scenario supplies `measure` (one cell) and its table columns.
import {
  type BrokerName,
  brokerNames,
  endpointOf,
  type RunningBroker,
  startBroker,
} from '../brokers/broker.js';
import type { LoadResult } from '../load/coordinator.js';
import type { WorkerPlan } from '../load/plan.js';
import type { Endpoint, Transport } from '../load/wire.js';
import { markdownBlock, type RunRecord, updateReadme, writeResults } from '../report/report.js';
import {
  formatInt,
  numberFlag,
  printJsonLine,
  printTable,
  type Scenario,
  type ScenarioArgs,
  type ScenarioFlag,
  UsageError,
} from '../scenario.js';
import { runCleanup } from '../system/cleanup.js';
import { machineInfo } from '../system/proc.js';

export const transports: readonly Transport[] = ['tcp', 'ws'];

export const commonFlags: Record<string, ScenarioFlag> = {
  brokers: {
    type: 'string',
    default: brokerNames.join(','),
    description: `comma-separated brokers to compare (${brokerNames.join(', ')})`,
  },
  transport: { type: 'string', default: 'tcp,ws', description: 'comma-separated transports: tcp, ws' },
  seconds: { type: 'string', default: '10', description: 'measured seconds per broker and transport' },
  warmup: { type: 'string', default: '1', description: 'seconds of load before measuring' },
  workers: { type: 'string', default: '1', description: 'load-generator processes' },
  out: {
    type: 'string',
    default: 'bench/results',
    description: 'directory for the JSON and Markdown record',
  },
  'no-save': { type: 'boolean', description: 'print only: write no files, leave bench/README.md alone' },
};

export interface Common {
  brokers: BrokerName[];
  transports: Transport[];
  seconds: number;
  warmupSeconds: number;
  workers: number;
  runId: string;
}

export interface Cell<F> {
  broker: BrokerName;
  transport: Transport;
  figures: F;
}

export interface Column<F> {
  header: string;
  value: (cell: Cell<F>) => string;
}

export interface BrokerScenarioSpec<F> {
  name: string;
  description: string;
  flags: Record<string, ScenarioFlag>;
  /** Checks flags before any broker starts (throw UsageError); returns the scenario's settings. */
  settings?: (args: ScenarioArgs, common: Common) => unknown;
  /** One cell: the broker is fresh and stopped afterwards. */
  measure: (ctx: CellContext) => Promise<F>;
  columns: Column<F>[];
  /** Lines under the table (loss, disconnects, limits hit). */
  notes?: (cells: Cell<F>[]) => string[];
}

export interface CellContext {
  broker: RunningBroker;
  transport: Transport;
  endpoint: Endpoint;
  common: Common;
  args: ScenarioArgs;
  settings: unknown;
  label: string;
}

function listFlag<T extends string>(args: ScenarioArgs, name: string, allowed: readonly T[]): T[] {
  const raw = args.flags[name];
  const parts = typeof raw === 'string' ? raw.split(',').map((p) => p.trim()) : [];
  const bad = parts.filter((p) => !(allowed as readonly string[]).includes(p));
  if (parts.length === 0 || bad.length > 0) {
    throw new UsageError(
      `--${name} takes a comma-separated list of ${allowed.join(', ')}; got ${JSON.stringify(raw)}`,
    );
  }
  return [...new Set(parts)] as T[];
}

export function parseCommon(args: ScenarioArgs): Common {
  return {
    brokers: listFlag(args, 'brokers', brokerNames),
    transports: listFlag(args, 'transport', transports),
    seconds: numberFlag(args, 'seconds', { min: 0.5 }),
    warmupSeconds: numberFlag(args, 'warmup', { min: 0 }),
    workers: numberFlag(args, 'workers', { min: 1, integer: true, max: 64 }),
    runId: Date.now().toString(36),
  };
}

export function defineBrokerScenario<F extends object>(spec: BrokerScenarioSpec<F>): Scenario {
  return {
    name: spec.name,
    description: spec.description,
    flags: { ...spec.flags, ...commonFlags },
    async run(args) {
      const common = parseCommon(args);
      const settings = spec.settings?.(args, common);
      const startedAt = new Date().toISOString();
      const machine = machineInfo();
      const cells: Cell<F>[] = [];
      const versions: Record<string, string> = {};
      const failures: string[] = [];
      try {
        for (const name of common.brokers) {
          for (const transport of common.transports) {
            const label = `[${spec.name} ${name}/${transport}]`;
            process.stderr.write(`${label} starting ${name}\n`);
            let broker: RunningBroker;
            try {
              broker = await startBroker(name);
            } catch (err) {
              failures.push(
                `${name}/${transport}: could not start: ${(err as Error).message.split('\n')[0]}`,
              );
              process.stderr.write(`${label} ${(err as Error).message}\n`);
              break; // the other transport would fail the same way
            }
            versions[name] = broker.version;
            try {
              const endpoint = endpointOf(broker, transport);
              const figures = await spec.measure({
                broker,
                transport,
                endpoint,
                common,
                args,
                settings,
                label,
              });
              cells.push({ broker: name, transport, figures });
            } catch (err) {
              const message = (err as Error).message;
              failures.push(`${name}/${transport}: ${message.split('\n')[0]}`);
              process.stderr.write(`${label} failed: ${message}\n${broker.output().slice(-2000)}\n`);
            } finally {
              await broker.stop();
            }
          }
        }
      } finally {
        await runCleanup();
      }

      const headers = ['broker', 'transport', ...spec.columns.map((c) => c.header)];
      const rows = cells.map((cell) => [
        cell.broker,
        cell.transport,
        ...spec.columns.map((c) => c.value(cell)),
      ]);
      const notes = [...(spec.notes?.(cells) ?? []), ...failures.map((f) => `FAILED ${f}`)];
      console.log(`\n${spec.name}: ${spec.description} (${common.seconds} s measured per cell)`);
      printTable(headers, rows);
      for (const n of notes) console.log(`- ${n}`);
      const record: RunRecord = {
        scenario: spec.name,
        description: spec.description,
        startedAt,
        finishedAt: new Date().toISOString(),
        flags: { ...args.flags },
        machine,
        brokers: versions,
        cells: cells.map((c) => ({
          broker: c.broker,
          version: versions[c.broker],
          transport: c.transport,
          ...c.figures,
        })),
        notes,
      };
      printJsonLine({
        scenario: spec.name,
        startedAt,
        cells: record.cells.length,
        failures: failures.length,
      });
      if (args.flags['no-save'] !== true) {
        const markdown = markdownBlock(record, headers, rows);
        const files = writeResults(String(args.flags.out), record, markdown);
        const readme = updateReadme(spec.name, markdown, files.json);
        console.log(`\nwrote ${files.json}\nwrote ${files.md}${readme ? `\nupdated ${readme}` : ''}`);
      }
      if (cells.length === 0) throw new Error(`${spec.name}: no broker produced a result`);
    },
  };
}

/** Deals `items` round-robin to `workers` lists (pair i goes to worker i % workers). */
export function deal<T>(items: readonly T[], workers: number): T[][] {
  const out: T[][] = Array.from({ length: workers }, () => []);
  items.forEach((item, i) => {
    out[i % workers].push(item);
  });
  return out;
}

export function emptyPlan(ctx: CellContext, workerIndex: number): WorkerPlan {
  return {
    workerIndex,
    runId: ctx.common.runId,
    endpoint: ctx.endpoint,
    qos: 0,
    payloadBytes: 64,
    publishers: [],
    subscribers: [],
    idleConnections: 0,
    connectConcurrency: 100,
  };
}

// Table cells shared by the load scenarios.
export const ms = (v: number | undefined): string =>
  v === undefined ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1);
export const mib = (bytes: number): string => (bytes / 1048576).toFixed(0);
export const pct = (v: number): string => `${Math.round(v)}%`;

export function lossText(r: LoadResult): string {
  if (r.lost === 0) return '0';
  return `${formatInt(r.lost)} (${r.lossPct < 0.01 ? '<0.01' : r.lossPct.toFixed(2)}%)`;
}

/** The columns of a load result: throughput, latency, loss, broker and load-generator cost. */
export function loadColumns<F>(get: (f: F) => LoadResult): Column<F>[] {
  return [
    { header: 'deliv msg/s', value: (c) => formatInt(get(c.figures).deliveredPerSec) },
    { header: 'pub msg/s', value: (c) => formatInt(get(c.figures).publishedPerSec) },
    { header: 'p50 ms', value: (c) => ms(get(c.figures).latency.p50Ms) },
    { header: 'p99 ms', value: (c) => ms(get(c.figures).latency.p99Ms) },
    { header: 'p99.9 ms', value: (c) => ms(get(c.figures).latency.p999Ms) },
    { header: 'lost', value: (c) => lossText(get(c.figures)) },
    { header: 'dups', value: (c) => formatInt(get(c.figures).duplicates) },
    { header: 'broker CPU', value: (c) => pct(get(c.figures).brokerUsage.cpuPct) },
    { header: 'broker RSS MiB', value: (c) => mib(get(c.figures).brokerUsage.rssBytes) },
    { header: 'load CPU', value: (c) => pct(get(c.figures).loadCpuPct) },
    { header: 'other CPU', value: (c) => pct(get(c.figures).otherCpuPct) },
  ];
}

/** Notes for load results: disconnects, stalled windows, skipped sends, foreign messages. */
export function loadNotes<F>(cells: Cell<F>[], get: (f: F) => LoadResult | undefined): string[] {
  const notes: string[] = [];
  for (const cell of cells) {
    const r = get(cell.figures);
    if (r === undefined) continue;
    const where = `${cell.broker}/${cell.transport}`;
    if (r.disconnects.length > 0)
      notes.push(`${where}: ${r.disconnects.length} connection(s) lost: ${r.disconnects[0]}`);
    if (r.stalls > 0)
      notes.push(`${where}: ${r.stalls} closed-loop window(s) reopened after 1 s without progress`);
    if (r.skipped > 0)
      notes.push(`${where}: ${formatInt(r.skipped)} sends skipped (socket congested over 1 s)`);
    if (r.foreign > 0) notes.push(`${where}: ${formatInt(r.foreign)} messages without a bench payload`);
    if (r.lost > 0 && r.drain.ended === 'timeout') {
      notes.push(
        `${where}: still delivering ${(r.drain.ms / 1000).toFixed(0)} s after publishing stopped; ` +
          '"lost" includes messages still queued in the broker',
      );
    }
    if (r.lost > 0 && r.drain.ended === 'quiet') {
      notes.push(`${where}: nothing more arrived for 2 s after publishing stopped; the rest counts as lost`);
    }
    if (r.worstPublisherLossPct > 0) {
      notes.push(`${where}: worst publisher lost ${r.worstPublisherLossPct.toFixed(2)}% of its deliveries`);
    }
  }
  return notes;
}
