// The record of one bench run: `bench/results/<ISO date>-<scenario>.json` (every figure,
// the flags and the machine), the same table as Markdown next to it, and the scenario's
// block in the "Latest results" section of `bench/README.md`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MachineInfo } from '../system/proc.js';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

export interface RunRecord {
  scenario: string;
  description: string;
  startedAt: string;
  finishedAt: string;
  flags: Record<string, string | boolean | undefined>;
  machine: MachineInfo;
  brokers: Record<string, string>;
  cells: Record<string, unknown>[];
  notes: string[];
}

/** `2026-11-22T04:10:00.000Z` → `20261122T041000Z` (ISO 8601 basic format: no colons in file names). */
export function fileStamp(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/** A Markdown table: first column left-aligned, the rest right-aligned. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const align = headers.map((_, i) => (i === 0 ? ':--' : '--:'));
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(align), ...rows.map(line)].join('\n');
}

export function machineLine(m: MachineInfo): string {
  const gib = (m.memoryBytes / 1024 ** 3).toFixed(1);
  return `${m.cores} cores, ${m.cpuModel}, ${gib} GiB RAM, ${m.kernel}, node ${m.node}`;
}

/** The Markdown block for one run: heading, context lines, table, notes. */
export function markdownBlock(record: RunRecord, headers: string[], rows: string[][]): string {
  const flags = Object.entries(record.flags)
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k, v]) => (v === true ? `--${k}` : `--${k} ${v}`))
    .join(' ');
  const versions = Object.entries(record.brokers)
    .map(([name, v]) => `${name} ${v}`)
    .join(', ');
  return [
    `### ${record.scenario}`,
    '',
    `${record.description}.`,
    '',
    `\`npm run bench -- ${record.scenario} ${flags}\` at ${record.startedAt}  `,
    `Machine: ${machineLine(record.machine)}  `,
    `Brokers: ${versions}`,
    '',
    markdownTable(headers, rows),
    ...(record.notes.length > 0 ? ['', ...record.notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
}

/** Writes the JSON and Markdown files; returns their paths. */
export function writeResults(
  outDir: string,
  record: RunRecord,
  markdown: string,
): { json: string; md: string } {
  const dir = path.resolve(repoRoot, outDir);
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${fileStamp(record.startedAt)}-${record.scenario}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(`${base}.md`, `${markdown}\n`);
  return { json: `${base}.json`, md: `${base}.md` };
}

const README = path.join(repoRoot, 'bench', 'README.md');
const LATEST_END = '<!-- latest:end -->';

/**
 * Replaces the scenario's block between `<!-- latest:<name> -->` and `<!-- /latest:<name> -->`
 * in bench/README.md, adding the markers before `<!-- latest:end -->` when missing.
 */
export function updateReadme(scenario: string, markdown: string, resultFile: string): string | undefined {
  if (!existsSync(README)) return undefined;
  const text = readFileSync(README, 'utf8');
  const open = `<!-- latest:${scenario} -->`;
  const close = `<!-- /latest:${scenario} -->`;
  const link = path.relative(path.dirname(README), resultFile);
  const block = `${open}\n${markdown}\nFull figures: [${path.basename(link)}](${link})\n${close}`;
  let next: string;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start >= 0 && end > start) {
    next = text.slice(0, start) + block + text.slice(end + close.length);
  } else if (text.includes(LATEST_END)) {
    next = text.replace(LATEST_END, `${block}\n\n${LATEST_END}`);
  } else {
    next = `${text.trimEnd()}\n\n${block}\n`;
  }
  writeFileSync(README, next);
  return README;
}
