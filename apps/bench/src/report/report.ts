// The record of one bench run: `bench/results/<ISO date>-<scenario>.json` (every figure,
// per run and as medians, the flags and the machine), the same tables as Markdown and the
// scenario's chart as SVG next to it, and the scenario's block (tables, machine, chart) in
// the "Latest results" section of `bench/README.md`.
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

/** A table with its column headers. */
export interface TableText {
  headers: string[];
  rows: string[][];
}

/** What goes under the main table in Markdown. */
export interface BlockExtras {
  /** EdgeMQ ÷ each peer, with its heading line. */
  ratios?: { title: string; table: TableText };
  /** Target lines ("met" / "not met"). */
  targets?: string[];
  /** SVG file name, relative to the Markdown file (same directory). */
  chart?: string;
}

/** The Markdown block for one run: heading, context lines, tables, targets, notes, chart. */
export function markdownBlock(record: RunRecord, table: TableText, extras: BlockExtras = {}): string {
  const flags = Object.entries(record.flags)
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k, v]) => (v === true ? `--${k}` : `--${k} ${v}`))
    .join(' ');
  const versions = Object.entries(record.brokers)
    .map(([name, v]) => `${name} ${v}`)
    .join(', ');
  const runs = typeof record.flags.runs === 'string' ? Number(record.flags.runs) : 1;
  return [
    `### ${record.scenario}`,
    '',
    `${record.description}.`,
    '',
    `\`npm run bench -- ${record.scenario} ${flags}\` at ${record.startedAt}  `,
    `Machine: ${machineLine(record.machine)}  `,
    `Brokers: ${versions}  `,
    runs > 1
      ? `Figures: medians of ${runs} runs, each on a fresh broker (every run is in the JSON)`
      : 'Figures: one run',
    '',
    markdownTable(table.headers, table.rows),
    ...(extras.ratios === undefined
      ? []
      : ['', extras.ratios.title, '', markdownTable(extras.ratios.table.headers, extras.ratios.table.rows)]),
    ...(extras.targets !== undefined && extras.targets.length > 0
      ? ['', ...extras.targets.map((t) => `- **${t}**`)]
      : []),
    ...(record.notes.length > 0 ? ['', ...record.notes.map((n) => `- ${n}`)] : []),
    ...(extras.chart === undefined ? [] : ['', `![${record.scenario} chart](${extras.chart})`]),
    '',
  ].join('\n');
}

export interface ResultFiles {
  json: string;
  md: string;
  svg?: string;
}

/** `bench/results/<stamp>-<scenario>` (no extension) for a record. */
export function resultBase(outDir: string, record: RunRecord): string {
  return path.join(path.resolve(repoRoot, outDir), `${fileStamp(record.startedAt)}-${record.scenario}`);
}

/** Writes the JSON, Markdown and (when given) SVG files; returns their paths. */
export function writeResults(outDir: string, record: RunRecord, markdown: string, svg?: string): ResultFiles {
  const base = resultBase(outDir, record);
  mkdirSync(path.dirname(base), { recursive: true });
  writeFileSync(`${base}.json`, `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(`${base}.md`, `${markdown}\n`);
  if (svg !== undefined) writeFileSync(`${base}.svg`, svg);
  return { json: `${base}.json`, md: `${base}.md`, svg: svg === undefined ? undefined : `${base}.svg` };
}

const README = path.join(repoRoot, 'bench', 'README.md');
const LATEST_END = '<!-- latest:end -->';

/**
 * Replaces the scenario's block between `<!-- latest:<name> -->` and `<!-- /latest:<name> -->`
 * in bench/README.md, adding the markers before `<!-- latest:end -->` when missing. The
 * chart link is rewritten relative to the README.
 */
export function updateReadme(scenario: string, markdown: string, files: ResultFiles): string | undefined {
  if (!existsSync(README)) return undefined;
  const text = readFileSync(README, 'utf8');
  const open = `<!-- latest:${scenario} -->`;
  const close = `<!-- /latest:${scenario} -->`;
  const rel = (file: string) => path.relative(path.dirname(README), file);
  let body = markdown;
  if (files.svg !== undefined) body = body.replace(`](${path.basename(files.svg)})`, `](${rel(files.svg)})`);
  const link = rel(files.json);
  const block = `${open}\n${body}\nFull figures: [${path.basename(link)}](${link})\n${close}`;
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
