// Runs one scenario from start to end: a fresh cluster (three nodes, one Redis), the
// workload connected and subscribed, traffic, the fault, traffic until every client is
// served again, the publishers stopped, the drain, then the figures. Everything started
// here is stopped here, on failure too.
import { ChaosCluster } from './cluster/chaos-cluster.js';
import { type NodeReport, nodeBaseline, nodeReport } from './cluster/node-report.js';
import { Ledger } from './ledger/ledger.js';
import { type Recovery, recovery } from './ledger/recovery.js';
import { type Tally, tally } from './ledger/tally.js';
import { lossReports } from './loss-reports.js';
import type { ChaosParams } from './params.js';
import { seededRandom } from './random.js';
import { checkRetained } from './retained-check.js';
import type { ChaosScenario, ScenarioContext } from './scenario.js';
import { sleep, until } from './until.js';
import { closeWorkload, standardWorkload, type WorkloadEnv, workloadReady } from './workload.js';

export interface ScenarioResult {
  readonly name: string;
  readonly lossExpected: boolean;
  readonly tally: Tally;
  readonly recovery: Recovery;
  readonly notes: string[];
  /** Why the scenario failed; empty when it passed. */
  readonly failures: string[];
  readonly report: NodeReport;
  /** What the nodes said about losing something (log lines, counters). */
  readonly lossReports: string[];
}

const NODES = 3;
/** Connecting and subscribing the workload before any traffic. */
const READY_TIMEOUT_MS = 30_000;

export async function runScenario(scenario: ChaosScenario, params: ChaosParams): Promise<ScenarioResult> {
  const cluster = await ChaosCluster.start(NODES);
  const ledger = new Ledger();
  const env: WorkloadEnv = {
    params,
    cluster,
    ledger,
    random: seededRandom(params.seed),
    root: `chaos/${cluster.keyPrefix}`,
  };
  const workload = scenario.workload?.(env) ?? standardWorkload(env);
  const ctx: ScenarioContext = { ...env, workload, notes: [], failures: [], cleanups: [] };
  try {
    await workloadReady(workload, READY_TIMEOUT_MS);
    for (const p of workload.publishers) p.start();
    await sleep(params.beforeFaultMs);

    const baseline = await nodeBaseline(cluster);
    const faultStart = Date.now();
    await scenario.inject(ctx);
    ledger.fault = { start: faultStart, end: Date.now() };
    await scenario.afterLift?.(ctx);
    await sleep(ledger.fault.end + params.afterFaultMs - Date.now());
    await until(
      () => recovery(ledger).unserved.length === 0,
      ledger.fault.end + params.serveTimeoutMs - Date.now(),
    );
    for (const p of workload.publishers) p.stop();
    await drain(ledger, params);

    const result = tally(ledger, params.cleanGraceMs);
    const served = recovery(ledger);
    const report = await nodeReport(cluster, baseline);
    await scenario.observe?.(ctx, report);
    const reports = lossReports(report);
    const retained = workload.retained && (await checkRetained(cluster, ledger, workload.retained));
    if (retained !== undefined) ctx.notes.push(`retained ${retained.detail}`);
    noteClientSide(ctx);
    judge(scenario, ctx, result, served, reports, retained?.ok ?? true);
    return {
      name: scenario.name,
      lossExpected: scenario.lossExpected,
      tally: result,
      recovery: served,
      notes: ctx.notes,
      failures: ctx.failures,
      report,
      lossReports: reports,
    };
  } finally {
    for (const cleanup of ctx.cleanups) await cleanup();
    await closeWorkload(workload);
    await cluster.stop();
  }
}

/** Waits until nothing owed is missing, or nothing arrived for drainQuietMs, at most drainMaxMs. */
async function drain(ledger: Ledger, params: ChaosParams): Promise<void> {
  const receipts = () => [...ledger.clients.values()].reduce((n, c) => n + c.receipts.length, 0);
  let seen = receipts();
  let lastChange = Date.now();
  await until(
    () => {
      const now = receipts();
      if (now !== seen) {
        seen = now;
        lastChange = Date.now();
      }
      return Date.now() - lastChange >= params.drainQuietMs || tally(ledger, params.cleanGraceMs).lost === 0;
    },
    params.drainMaxMs,
    500,
  );
}

/** Notes every scenario gets: refused publishes, persistent sessions found gone. */
function noteClientSide(ctx: ScenarioContext): void {
  const refused = [...ctx.ledger.publishes.values()].filter((p) => p.refusal !== undefined);
  if (refused.length > 0) {
    const reasons = new Map<string, number>();
    for (const p of refused)
      reasons.set(`${p.publisher}: ${p.refusal}`, (reasons.get(`${p.publisher}: ${p.refusal}`) ?? 0) + 1);
    ctx.notes.push(`publishes refused: ${[...reasons].map(([r, n]) => `${r} ×${n}`).join(', ')}`);
  }
  const sessionsLost = [...ctx.ledger.clients.values()].filter((c) => c.sessionsLost > 0);
  if (sessionsLost.length > 0) {
    ctx.notes.push(`persistent sessions gone on reconnect: ${sessionsLost.map((c) => c.id).join(', ')}`);
  }
  const refusedSubs = [...ctx.ledger.subscriptions.values()].filter((s) => s.refusals > 0);
  if (refusedSubs.length > 0)
    ctx.notes.push(`SUBSCRIBE refused for ${refusedSubs.map((s) => s.spec.name).join(', ')}`);
}

function judge(
  scenario: ChaosScenario,
  ctx: ScenarioContext,
  result: Tally,
  served: Recovery,
  reports: string[],
  retainedOk: boolean,
): void {
  if (served.unserved.length > 0) ctx.failures.push(`never served again: ${served.unserved.join(', ')}`);
  if (scenario.lossExpected) {
    if (reports.length === 0)
      ctx.failures.push('the nodes did not report what they lost (no log line or counter)');
    return;
  }
  if (result.lost > 0) ctx.failures.push(`${result.lost} acknowledged QoS 1/2 messages lost`);
  if (!retainedOk) ctx.failures.push('retained message not the last acknowledged one');
  const sessionsLost = [...ctx.ledger.clients.values()].filter((c) => c.sessionsLost > 0).length;
  if (sessionsLost > 0) ctx.failures.push(`${sessionsLost} persistent sessions gone on reconnect`);
}
