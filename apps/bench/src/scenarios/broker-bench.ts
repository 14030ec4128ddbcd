// What every broker-comparison scenario shares: the flags (`--brokers`, `--transport`,
// `--seconds`, `--warmup`, `--workers`, `--runs`, `--out`, `--no-save`), one fresh broker
// (or 2-node cluster on a fresh Redis) per run of each (broker, transport) cell, medians
// over the runs, the side-by-side table, EdgeMQ ÷ peer ratios, and the saved record (JSON,
// Markdown, SVG chart, README). A scenario supplies `measure` (one run of one cell), its
// table columns and the figures it compares (`metrics`).
//
// Runs are interleaved: run 1 of every cell, then run 2 of every cell, …, so a host that
// gets busier or quieter during the bench shifts every broker's figures alike.
//
// TLS transports (`wss`, `mqtts`): one throwaway self-signed certificate per scenario run
// (testkit's `selfSignedCertificate`), given to the brokers of the TLS cells only (tcp and
// ws cells start exactly as without it) and removed when the scenario ends, also on Ctrl-C.
import { selfSignedCertificate, type TestCertificate } from '@edgemq/testkit';
import {
  type BrokerName,
  brokerNames,
  endpointOf,
  type RunningBroker,
  type Topology,
} from '../brokers/broker.js';
import { startBroker } from '../brokers/start.js';
import type { LoadResult } from '../load/coordinator.js';
import type { WorkerPlan } from '../load/plan.js';
import { type Endpoint, isTlsTransport, type Transport, transportNames } from '../load/wire.js';
import { medianFigures } from '../report/median.js';
import {
  machineLine,
  markdownBlock,
  type RunRecord,
  resultBase,
  type TableText,
  updateReadme,
  writeResults,
} from '../report/report.js';
import { barChartSvg, compact } from '../report/svg.js';
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
import { onCleanup, runCleanup } from '../system/cleanup.js';
import { machineInfo } from '../system/proc.js';

export const transports: readonly Transport[] = transportNames;

/** The flags every broker scenario takes; `brokers` lists the brokers the scenario can run. */
export function commonFlags(
  brokers: readonly BrokerName[] = brokerNames,
  defaults: Readonly<Record<string, string>> = {},
): Record<string, ScenarioFlag> {
  return {
    brokers: {
      type: 'string',
      default: defaults.brokers ?? brokers.join(','),
      description: `comma-separated brokers to compare (${brokers.join(', ')})`,
    },
    transport: {
      type: 'string',
      default: defaults.transport ?? 'tcp,ws',
      description:
        'comma-separated transports: tcp (mqtt://), ws (ws://…/mqtt), wss (wss://…/mqtt), mqtts (mqtts://)',
    },
    seconds: {
      type: 'string',
      default: defaults.seconds ?? '10',
      description: 'measured seconds per run of each broker and transport',
    },
    warmup: {
      type: 'string',
      default: defaults.warmup ?? '1',
      description: 'seconds of load before measuring',
    },
    workers: { type: 'string', default: defaults.workers ?? '1', description: 'load-generator processes' },
    runs: {
      type: 'string',
      default: defaults.runs ?? '3',
      description: 'runs per broker and transport, each on a fresh broker; the tables show medians',
    },
    out: {
      type: 'string',
      default: 'bench/results',
      description: 'directory for the JSON, Markdown and SVG record',
    },
    'no-save': { type: 'boolean', description: 'print only: write no files, leave bench/README.md alone' },
  };
}

export interface Common {
  brokers: BrokerName[];
  transports: Transport[];
  seconds: number;
  warmupSeconds: number;
  workers: number;
  runs: number;
  runId: string;
}

/** One (broker, transport) cell: the medians over its runs, and every run. */
export interface Cell<F> {
  broker: BrokerName;
  transport: Transport;
  figures: F;
  runs: F[];
}

export interface Column<F> {
  header: string;
  value: (cell: { figures: F }) => string;
}

/** A figure compared across brokers: EdgeMQ ÷ peer in the ratio table, a panel in the chart. */
export interface Metric<F> {
  header: string;
  better: 'higher' | 'lower';
  get: (f: F) => number | undefined;
  /** Chart labels. */
  format: (v: number) => string;
  /** Panel title in the SVG; metrics without one are not charted. */
  chart?: string;
}

export interface BrokerScenarioSpec<F> {
  name: string;
  description: string;
  flags: Record<string, ScenarioFlag>;
  /** `cluster`: each run gets a fresh Redis and two broker nodes on it. Default `single`. */
  topology?: Topology;
  /** Brokers the scenario can run (default all). */
  brokers?: readonly BrokerName[];
  /** Defaults of the common flags that differ for this scenario (e.g. `transport: 'ws'`). */
  flagDefaults?: Readonly<Record<string, string>>;
  /** Checks flags before any broker starts (throw UsageError); returns the scenario's settings. */
  settings?: (args: ScenarioArgs, common: Common) => unknown;
  /** One run of one cell: the broker is fresh and stopped afterwards. */
  measure: (ctx: CellContext) => Promise<F>;
  columns: Column<F>[];
  /** Compared as EdgeMQ ÷ peer; the first one picks the representative run of a cell. */
  metrics: Metric<F>[];
  /** Lines under the table (loss, disconnects, limits hit), for one run's cells. */
  notes?: (cells: { broker: BrokerName; transport: Transport; figures: F }[]) => string[];
  /** The scenario's targets checked against the medians: one line each, met or not. */
  targets?: (cells: Cell<F>[]) => string[];
}

export interface CellContext {
  broker: RunningBroker;
  transport: Transport;
  /** The (first) node's endpoint. */
  endpoint: Endpoint;
  common: Common;
  args: ScenarioArgs;
  settings: unknown;
  label: string;
  /** 1-based run number of this cell. */
  run: number;
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

export function parseCommon(args: ScenarioArgs, brokers: readonly BrokerName[] = brokerNames): Common {
  return {
    brokers: listFlag(args, 'brokers', brokers),
    transports: listFlag(args, 'transport', transports),
    seconds: numberFlag(args, 'seconds', { min: 0.5 }),
    warmupSeconds: numberFlag(args, 'warmup', { min: 0 }),
    workers: numberFlag(args, 'workers', { min: 1, integer: true, max: 64 }),
    runs: numberFlag(args, 'runs', { min: 1, integer: true, max: 99 }),
    runId: Date.now().toString(36),
  };
}

/** Cells with at least one run, in --brokers × --transport order. */
function collect<F extends object>(
  common: Common,
  runs: Map<string, F[]>,
  primary: (f: F) => number | undefined,
): Cell<F>[] {
  const cells: Cell<F>[] = [];
  for (const broker of common.brokers) {
    for (const transport of common.transports) {
      const list = runs.get(`${broker}/${transport}`) ?? [];
      if (list.length > 0)
        cells.push({ broker, transport, figures: medianFigures(list, primary), runs: list });
    }
  }
  return cells;
}

/** `edgemq ÷ peer` for every metric, per peer and transport where both have figures. */
export function ratioRows<F>(
  cells: readonly Cell<F>[],
  metrics: readonly Metric<F>[],
): { peer: BrokerName; transport: Transport; ratios: (number | undefined)[] }[] {
  const out: { peer: BrokerName; transport: Transport; ratios: (number | undefined)[] }[] = [];
  for (const peer of cells) {
    if (peer.broker === 'edgemq') continue;
    const ours = cells.find((c) => c.broker === 'edgemq' && c.transport === peer.transport);
    if (ours === undefined) continue;
    out.push({
      peer: peer.broker,
      transport: peer.transport,
      ratios: metrics.map((m) => {
        const a = m.get(ours.figures);
        const b = m.get(peer.figures);
        return a === undefined || b === undefined || b === 0 ? undefined : a / b;
      }),
    });
  }
  return out;
}

export const ratioText = (r: number | undefined): string => {
  if (r === undefined) return '-';
  const text =
    r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r >= 0.1 || r === 0 ? r.toFixed(2) : r.toPrecision(2);
  return `${text}×`;
};

function ratioTable<F>(cells: readonly Cell<F>[], metrics: readonly Metric<F>[]) {
  const rows = ratioRows(cells, metrics);
  if (rows.length === 0) return undefined;
  const higher = metrics.filter((m) => m.better === 'higher').map((m) => m.header);
  const lower = metrics.filter((m) => m.better === 'lower').map((m) => m.header);
  const title =
    'EdgeMQ ÷ each peer, from the medians (same load generator, same transport). ' +
    `Above 1 means EdgeMQ's figure is higher: better for ${higher.join(', ') || '-'}; ` +
    `worse for ${lower.join(', ') || '-'}.`;
  const table: TableText = {
    headers: ['EdgeMQ ÷', 'transport', ...metrics.map((m) => m.header)],
    rows: rows.map((r) => [r.peer, r.transport, ...r.ratios.map(ratioText)]),
  };
  const json = rows.map((r) => ({
    peer: r.peer,
    transport: r.transport,
    ...Object.fromEntries(metrics.map((m, i) => [m.header, r.ratios[i]])),
  }));
  return { title, table, json };
}

export function defineBrokerScenario<F extends object>(spec: BrokerScenarioSpec<F>): Scenario {
  const allowed = spec.brokers ?? brokerNames;
  const primary = spec.metrics[0].get;
  return {
    name: spec.name,
    description: spec.description,
    flags: { ...spec.flags, ...commonFlags(allowed, spec.flagDefaults) },
    brokers: allowed,
    async run(args) {
      const common = parseCommon(args, allowed);
      const settings = spec.settings?.(args, common);
      const startedAt = new Date().toISOString();
      const machine = machineInfo();
      const runs = new Map<string, F[]>();
      const versions: Record<string, string> = {};
      const failures: string[] = [];
      // `<broker>` or `<broker> with TLS`: a broker that could not start is not tried again
      // (a TLS start failure leaves its plain tcp/ws cells running).
      const unstartable = new Set<string>();
      const startKey = (name: BrokerName, transport: Transport) =>
        isTlsTransport(transport) ? `${name} with TLS` : name;
      let redisVersion: string | undefined;
      let certificate: TestCertificate | undefined;
      try {
        if (common.transports.some(isTlsTransport)) {
          certificate = await selfSignedCertificate();
          const cert = certificate;
          onCleanup(() => cert.remove());
        }
        for (let run = 1; run <= common.runs; run++) {
          for (const name of common.brokers) {
            for (const transport of common.transports) {
              if (unstartable.has(startKey(name, transport))) continue;
              const label =
                common.runs > 1
                  ? `[${spec.name} ${name}/${transport} run ${run}/${common.runs}]`
                  : `[${spec.name} ${name}/${transport}]`;
              const what = spec.topology === 'cluster' ? `a 2-node ${name} cluster on a fresh Redis` : name;
              process.stderr.write(`${label} starting ${what}\n`);
              let broker: RunningBroker;
              try {
                broker = await startBroker(
                  name,
                  spec.topology,
                  isTlsTransport(transport) ? certificate : undefined,
                );
              } catch (err) {
                const key = startKey(name, transport);
                failures.push(`${key}: could not start: ${(err as Error).message.split('\n')[0]}`);
                process.stderr.write(`${label} ${(err as Error).message}\n`);
                unstartable.add(key); // the other transports and runs would fail the same way
                continue;
              }
              versions[name] = broker.version;
              if (broker.redis !== undefined) redisVersion = broker.redis.version;
              try {
                const figures = await spec.measure({
                  broker,
                  transport,
                  endpoint: endpointOf(broker, transport),
                  common,
                  args,
                  settings,
                  label,
                  run,
                });
                const key = `${name}/${transport}`;
                runs.set(key, [...(runs.get(key) ?? []), figures]);
              } catch (err) {
                const message = (err as Error).message;
                failures.push(`${name}/${transport} run ${run}: ${message.split('\n')[0]}`);
                process.stderr.write(`${label} failed: ${message}\n${broker.output().slice(-2000)}\n`);
              } finally {
                await broker.stop();
              }
            }
          }
        }
      } finally {
        await runCleanup();
      }

      const cells = collect(common, runs, primary);
      const perRunHeader = common.runs > 1 ? [`${spec.metrics[0].header} per run`] : [];
      const table: TableText = {
        headers: ['broker', 'transport', ...spec.columns.map((c) => c.header), ...perRunHeader],
        rows: cells.map((cell) => [
          cell.broker,
          cell.transport,
          ...spec.columns.map((c) => c.value(cell)),
          ...(common.runs > 1
            ? [cell.runs.map((r) => spec.metrics[0].format(primary(r) ?? Number.NaN)).join(' / ')]
            : []),
        ]),
      };
      const notes: string[] = [];
      for (let k = 0; k < common.runs; k++) {
        const ofRun = cells.flatMap((c) =>
          c.runs[k] === undefined ? [] : [{ broker: c.broker, transport: c.transport, figures: c.runs[k] }],
        );
        const lines = spec.notes?.(ofRun) ?? [];
        notes.push(...(common.runs > 1 ? lines.map((n) => `run ${k + 1}: ${n}`) : lines));
      }
      for (const c of cells) {
        if (c.runs.length < common.runs)
          notes.push(`${c.broker}/${c.transport}: median of ${c.runs.length} runs`);
      }
      notes.push(...failures.map((f) => `FAILED ${f}`));
      const ratios = ratioTable(cells, spec.metrics);
      const targets = spec.targets?.(cells) ?? [];

      const what = common.runs > 1 ? `medians of ${common.runs} runs, ` : '';
      console.log(`\n${spec.name}: ${spec.description} (${what}${common.seconds} s measured per run)`);
      printTable(table.headers, table.rows);
      if (ratios !== undefined) {
        console.log(`\n${ratios.title}`);
        printTable(ratios.table.headers, ratios.table.rows);
      }
      if (targets.length > 0) console.log('');
      for (const t of targets) console.log(`* ${t}`);
      if (notes.length > 0) console.log('');
      for (const n of notes) console.log(`- ${n}`);

      const record: RunRecord & Record<string, unknown> = {
        scenario: spec.name,
        description: spec.description,
        startedAt,
        finishedAt: new Date().toISOString(),
        flags: { ...args.flags },
        machine,
        brokers: redisVersion === undefined ? versions : { ...versions, redis: redisVersion },
        cells: cells.map((c) => ({
          broker: c.broker,
          version: versions[c.broker],
          transport: c.transport,
          runs: c.runs.length,
          ...c.figures,
          perRun: c.runs,
        })),
        ratios: ratios?.json ?? [],
        targets,
        notes,
      };
      printJsonLine({
        scenario: spec.name,
        startedAt,
        cells: record.cells.length,
        failures: failures.length,
        ratios: record.ratios,
      });
      if (args.flags['no-save'] !== true) {
        const out = String(args.flags.out);
        const svgName = `${resultBase(out, record).split('/').pop()}.svg`;
        const svg = chart(spec, common, cells, machine);
        const markdown = markdownBlock(record, table, {
          ratios: ratios === undefined ? undefined : { title: ratios.title, table: ratios.table },
          targets,
          chart: svg === undefined ? undefined : svgName,
        });
        const files = writeResults(out, record, markdown, svg);
        const readme = updateReadme(spec.name, markdown, files);
        console.log(
          `\nwrote ${files.json}\nwrote ${files.md}${files.svg ? `\nwrote ${files.svg}` : ''}` +
            `${readme ? `\nupdated ${readme}` : ''}`,
        );
      }
      if (cells.length === 0) throw new Error(`${spec.name}: no broker produced a result`);
    },
  };
}

/** The scenario's SVG: one panel per charted metric, transports × brokers. */
function chart<F>(
  spec: BrokerScenarioSpec<F>,
  common: Common,
  cells: readonly Cell<F>[],
  machine: ReturnType<typeof machineInfo>,
): string | undefined {
  const metrics = spec.metrics.filter((m) => m.chart !== undefined);
  if (metrics.length === 0 || cells.length === 0) return undefined;
  const find = (t: string, b: string) => cells.find((c) => c.transport === t && c.broker === b);
  const runsText = common.runs > 1 ? `medians of ${common.runs} runs` : '1 run';
  return barChartSvg({
    title: `bench ${spec.name}`,
    subtitle: [
      spec.description,
      `${runsText} of ${common.seconds} s per broker and transport · ${machineLine(machine)}`,
    ],
    groups: common.transports.filter((t) => cells.some((c) => c.transport === t)),
    series: common.brokers.filter((b) => cells.some((c) => c.broker === b)),
    panels: metrics.map((m) => ({
      title: m.chart!,
      better: m.better,
      format: m.format,
      value: (t, b) => {
        const cell = find(t, b);
        const value = cell === undefined ? undefined : m.get(cell.figures);
        if (cell === undefined || value === undefined) return undefined;
        const perRun = cell.runs.map(m.get).filter((v): v is number => v !== undefined);
        return { median: value, runs: perRun };
      },
    })),
  });
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
    { header: 'deliv/CPU-s', value: (c) => formatInt(get(c.figures).deliveredPerCpuSec) },
    { header: 'broker RSS MiB', value: (c) => mib(get(c.figures).brokerUsage.rssBytes) },
    { header: 'load CPU', value: (c) => pct(get(c.figures).loadCpuPct) },
    { header: 'other CPU', value: (c) => pct(get(c.figures).otherCpuPct) },
  ];
}

export const msFormat = (v: number): string => (v < 10 ? v.toFixed(v < 1 ? 2 : 1) : compact(v));

/** The figures load scenarios compare: delivered msg/s, deliveries per broker CPU-second, p99. */
export function loadMetrics<F>(get: (f: F) => LoadResult): Metric<F>[] {
  return [
    {
      header: 'deliv msg/s',
      better: 'higher',
      get: (f) => get(f).deliveredPerSec,
      format: compact,
      chart: 'delivered msg/s',
    },
    { header: 'deliv/CPU-s', better: 'higher', get: (f) => get(f).deliveredPerCpuSec, format: compact },
    {
      header: 'p99 ms',
      better: 'lower',
      get: (f) => get(f).latency.p99Ms,
      format: msFormat,
      chart: 'p99 latency, ms',
    },
  ];
}

/** Notes for load results: disconnects, stalled windows, skipped sends, foreign messages. */
export function loadNotes<F>(
  cells: readonly { broker: BrokerName; transport: Transport; figures: F }[],
  get: (f: F) => LoadResult | undefined,
): string[] {
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
