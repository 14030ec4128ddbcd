// The chaos command line: which scenarios, the full or the short form, and single knobs.
import { parseArgs } from 'node:util';
import { type ChaosParams, fullParams, shortParams, withDuration } from './params.js';
import { scenarioFactories, scenarioNames } from './scenarios/index.js';

export type Command =
  | { kind: 'help'; text: string }
  | { kind: 'run'; scenarios: string[]; params: ChaosParams };

/** A bad command line: main prints it with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function usage(): string {
  const width = Math.max(...scenarioNames.map((n) => n.length));
  const list = scenarioFactories
    .map((make) => make())
    .map((s) => `  ${s.name.padEnd(width)}  ${s.description}`);
  return [
    'usage: chaos [--scenarios a,b] [--short] [--duration S] [--seed N] [--flags]',
    '',
    'Starts three EdgeMQ nodes on one Redis per scenario, runs traffic, injects the fault,',
    'and prints what was acknowledged, delivered, duplicated and lost. Exit code 1 when a',
    'scenario failed (loss outside redis-empty, an unreported loss, a client never served again).',
    '',
    'flags:',
    '  --scenarios a,b           scenarios to run, in this order (default: all)',
    '  --short                   the reduced form the test runs (shorter traffic, fewer storm clients)',
    '  --duration S              seconds of traffic per scenario, a quarter of it before the fault',
    '  --seed N                  seeds the choice of victim node and home nodes (default 1)',
    '  --rate N                  messages per second of each publisher',
    '  --outage S                seconds Redis stays frozen in redis-pause',
    '  --storm-clients N         persistent clients in reconnect-storm',
    '  --slow-bytes-per-sec N    reading speed of the slow reader',
    '',
    'scenarios:',
    ...list,
  ].join('\n');
}

export function parseCommand(argv: readonly string[]): Command {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        help: { type: 'boolean', short: 'h' },
        short: { type: 'boolean' },
        scenarios: { type: 'string' },
        duration: { type: 'string' },
        seed: { type: 'string' },
        rate: { type: 'string' },
        outage: { type: 'string' },
        'storm-clients': { type: 'string' },
        'slow-bytes-per-sec': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) return { kind: 'help', text: usage() };
  let params = values.short === true ? shortParams : fullParams;
  if (values.duration !== undefined) params = withDuration(params, numberFlag(values, 'duration', 1));
  params = {
    ...params,
    seed: optional(values, 'seed', 0, params.seed, true),
    ratePerSec: optional(values, 'rate', 0.1, params.ratePerSec),
    outageMs: optional(values, 'outage', 0.1, params.outageMs / 1000) * 1000,
    stormClients: optional(values, 'storm-clients', 1, params.stormClients, true),
    slowBytesPerSec: optional(values, 'slow-bytes-per-sec', 1, params.slowBytesPerSec, true),
  };
  return { kind: 'run', scenarios: scenarioList(values.scenarios), params };
}

function scenarioList(raw: string | boolean | undefined): string[] {
  if (typeof raw !== 'string') return [...scenarioNames];
  const names = raw.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !scenarioNames.includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new UsageError(`unknown scenario(s): ${unknown.join(', ')} (known: ${scenarioNames.join(', ')})`);
  }
  return names;
}

function optional(
  values: Record<string, string | boolean | undefined>,
  name: string,
  min: number,
  fallback: number,
  integer = false,
): number {
  return values[name] === undefined ? fallback : numberFlag(values, name, min, integer);
}

function numberFlag(
  values: Record<string, string | boolean | undefined>,
  name: string,
  min: number,
  integer = false,
): number {
  const raw = values[name];
  const value = typeof raw === 'string' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new UsageError(
      `--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}
