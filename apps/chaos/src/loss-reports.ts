// Did the cluster say it lost something? Log lines at warn or above whose message speaks
// of loss, and counters of that kind that moved. "Redis restarted empty" must be reported
// this way; a loss nobody reports is a silent one.
import type { NodeReport } from './cluster/node-report.js';

const LOSS_WORDS = /\b(lost|lose|loss|losing|empty|reset|restarted|flushed|missing|gone)\b/i;
const LOSS_COUNTERS = /lost|reset|restart|missing/i;

export function lossReports(report: NodeReport): string[] {
  const lines = report.logLines.filter((l) => LOSS_WORDS.test(l.msg)).map((l) => `${l.nodeId} log: ${l.msg}`);
  const counters = report.counterChanges.filter((c) => LOSS_COUNTERS.test(c)).map((c) => `metric: ${c}`);
  return [...new Set([...lines, ...counters])];
}
