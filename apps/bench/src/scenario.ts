// What a bench scenario is, and the small helpers scenarios share: typed flags, a text
// table and a JSON result line. `main.ts` knows scenarios only through this interface, so
// a new scenario is a new file under `scenarios/` plus one line in `registry.ts`.

/** A `--name value` (string) or `--name` (boolean) flag a scenario accepts. */
export interface ScenarioFlag {
  type: 'string' | 'boolean';
  default?: string | boolean;
  description: string;
}

/** Parsed command line of one scenario run: flag values with defaults applied. */
export interface ScenarioArgs {
  flags: Readonly<Record<string, string | boolean | undefined>>;
}

export interface Scenario {
  readonly name: string;
  /** One line, shown by `bench --help`. */
  readonly description: string;
  readonly flags: Readonly<Record<string, ScenarioFlag>>;
  /** Broker scenarios: the brokers it can run (`all` passes it only those). */
  readonly brokers?: readonly string[];
  run(args: ScenarioArgs): Promise<void>;
}

/** Bad command-line input: main prints the message and the scenario's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The value of a string flag as a number within [min, max]; a UsageError otherwise. */
export function numberFlag(
  args: ScenarioArgs,
  name: string,
  { min = 0, integer = false, max = Infinity } = {},
): number {
  const raw = args.flags[name];
  const value = typeof raw === 'string' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a number';
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new UsageError(`--${name} must be ${kind} ${range}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** A comma-separated list flag (`--cache-sizes 1024,0`) as numbers. */
export function numberListFlag(
  args: ScenarioArgs,
  name: string,
  { min = 0, integer = false } = {},
): number[] {
  const raw = args.flags[name];
  const parts = typeof raw === 'string' ? raw.split(',').map((p) => p.trim()) : [];
  const values = parts.map(Number);
  if (
    values.length === 0 ||
    parts.some((p) => p === '') ||
    values.some((v) => !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v)))
  ) {
    throw new UsageError(
      `--${name} must be a comma-separated list of numbers >= ${min}, got ${JSON.stringify(raw)}`,
    );
  }
  return values;
}

/** Prints rows as an aligned text table: first column left-aligned, the others right-aligned. */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

/** Prints the machine-readable result: one JSON object on one line. */
export function printJsonLine(result: Record<string, unknown>): void {
  console.log(JSON.stringify(result));
}

export const formatInt = (n: number): string => Math.round(n).toLocaleString('en-US');
