// The suite's output: one table row per scenario, then what explains the rows (failures,
// which subscriptions lost which messages, what the nodes logged and counted).
import { summarizeLog } from '../cluster/node-log.js';
import type { ScenarioResult } from '../runner.js';
import { type Column, markdownTable } from './table.js';

const columns: Column[] = [
  { header: 'scenario', align: 'left' },
  { header: 'acked q1/2', align: 'right' },
  { header: 'expected', align: 'right' },
  { header: 'delivered', align: 'right' },
  { header: 'duplicated', align: 'right' },
  { header: 'lost', align: 'right' },
  { header: 'served again', align: 'right' },
  { header: 'result', align: 'left' },
  { header: 'notes', align: 'left' },
];

export function resultTable(results: readonly ScenarioResult[]): string {
  return markdownTable(columns, results.map(row));
}

function row(r: ScenarioResult): string[] {
  const t = r.tally;
  const dup = t.duplicatedQos2 > 0 ? `${t.duplicated} (QoS 2: ${t.duplicatedQos2})` : String(t.duplicated);
  return [
    r.name,
    String(t.acknowledged),
    String(t.expected),
    String(t.delivered),
    dup,
    r.lossExpected && t.lost > 0 ? `${t.lost} (expected)` : String(t.lost),
    r.recovery.ms === undefined ? 'never' : `${(r.recovery.ms / 1000).toFixed(1)} s`,
    passed(r) ? 'pass' : 'FAIL',
    r.notes.join('; '),
  ];
}

export const passed = (r: ScenarioResult): boolean => r.failures.length === 0;

/** Subscriptions listed one by one; the rest (a storm's thousand) are counted by kind. */
const LISTED = 5;

/** "v5 ws persistent QoS 1: 84 subscriptions, v3.1.1 tcp persistent QoS 1: 83 subscriptions". */
function byKind(details: readonly { description: string }[]): string {
  const counts = new Map<string, number>();
  for (const d of details) counts.set(d.description, (counts.get(d.description) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${kind}: ${n} subscriptions`).join(', ');
}

/** The detail under the table, one block per scenario that has something to say. */
export function resultDetails(results: readonly ScenarioResult[]): string {
  const blocks: string[] = [];
  for (const r of results) {
    const lines: string[] = [];
    for (const f of r.failures) lines.push(`  failure: ${f}`);
    for (const loss of r.tally.losses.slice(0, LISTED)) {
      lines.push(
        `  lost ${loss.lost} on ${loss.subscription} (${loss.description}), sent ${loss.sentWindow} from the fault's end: ${loss.byPublisher.join('; ')}`,
      );
    }
    if (r.tally.losses.length > LISTED) lines.push(`  lost also on: ${byKind(r.tally.losses.slice(LISTED))}`);
    for (const dup of r.tally.duplicates.slice(0, LISTED)) {
      lines.push(`  duplicates on ${dup.subscription} (${dup.description}): ${dup.byPublisher.join('; ')}`);
    }
    if (r.tally.duplicates.length > LISTED) {
      lines.push(`  duplicates also on: ${byKind(r.tally.duplicates.slice(LISTED))}`);
    }
    for (const report of r.lossReports) lines.push(`  reported: ${report}`);
    for (const log of summarizeLog(r.report.logLines).slice(0, 8)) lines.push(`  node log: ${log}`);
    for (const line of r.report.plainLines.slice(0, 5)) lines.push(`  node output: ${line.slice(0, 200)}`);
    if (r.report.counterChanges.length > 0) lines.push(`  counters: ${r.report.counterChanges.join(', ')}`);
    if (lines.length > 0) blocks.push([`${r.name}:`, ...lines].join('\n'));
  }
  return blocks.join('\n');
}
