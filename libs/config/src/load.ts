// loadConfig: defaults < file < environment, validated by the schema; every problem reported at once.
// It reads no command line itself: the caller (the edgemq command) parses its arguments and
// passes the config file it was given.
import { resolve } from 'node:path';
import type { z } from 'zod';
import { type EnvOverride, readEnv } from './env.js';
import { ConfigError, didYouMean, formatValue } from './errors.js';
import { configFields } from './fields.js';
import { type ConfigFileRef, findConfigFile, readConfigFile } from './file.js';
import { configSchema, type EdgeConfig } from './schema.js';

export interface LoadConfigOptions {
  /** The config file the caller was given (`edgemq --config FILE`); it wins over EDGEMQ_CONFIG. */
  configFile?: string;
  /** Raw arguments to search for `--config` when `configFile` is not given; default none. */
  argv?: readonly string[];
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Base for a relative config file path; default `process.cwd()`. */
  cwd?: string;
}

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The file's data with each env override set at its key path (copy-on-write; the file data is kept). */
function applyOverrides(data: Tree, overrides: readonly EnvOverride[]): Tree {
  const root: Tree = { ...data };
  for (const { field, value } of overrides) {
    let node: Tree | undefined = root;
    for (const segment of field.path.slice(0, -1)) {
      const child: unknown = Object.hasOwn(node, segment) ? node[segment] : {};
      // A non-object section in the file is reported by the schema; the override has nowhere to go.
      if (!isTree(child)) {
        node = undefined;
        break;
      }
      const copy: Tree = { ...child };
      node[segment] = copy;
      node = copy;
    }
    if (node) node[field.path[field.path.length - 1]] = value;
  }
  return root;
}

function valueAt(tree: unknown, path: readonly string[]): unknown {
  let node = tree;
  for (const segment of path) node = isTree(node) && Object.hasOwn(node, segment) ? node[segment] : undefined;
  return node;
}

function knownKeysUnder(path: readonly string[]): string[] {
  const depth = path.length;
  const under = configFields.filter((f) => f.path.slice(0, depth).join('.') === path.join('.'));
  return [...new Set(under.map((f) => f.path[depth]))];
}

/** One line per schema issue, naming key, expected type, received value and its source. */
function describeIssue(
  issue: z.core.$ZodIssue,
  input: Tree,
  overrides: readonly EnvOverride[],
  file: ConfigFileRef | undefined,
): string[] {
  const path = issue.path.map(String);
  const fileSource = file ? `in ${file.path}` : 'in defaults';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => {
      const hint = didYouMean(k, knownKeysUnder(path));
      return `unknown key "${[...path, k].join('.')}" (${fileSource})${hint}`;
    });
  }
  const key = path.join('.') || '(top level)';
  if (issue.code === 'custom') {
    // A rule across several keys (e.g. certFile with keyFile): name it and where they came from.
    const fromEnv = overrides.filter((o) => o.field.key.startsWith(`${key}.`)).map((o) => o.field.envVar);
    const source = fromEnv.length > 0 ? `from ${fromEnv.join(', ')}` : fileSource;
    return [`${key}: ${issue.message} (${source})`];
  }
  const field = configFields.find((f) => f.key === key);
  const fromEnv = overrides.find((o) => o.field.key === key);
  const expected =
    field?.expected ?? (issue.code === 'invalid_type' ? issue.expected : issue.message.toLowerCase());
  const got = fromEnv ? JSON.stringify(fromEnv.raw) : formatValue(valueAt(input, path));
  const source = fromEnv ? `from ${fromEnv.field.envVar}` : fileSource;
  return [`${key}: expected ${expected}, got ${got} (${source})`];
}

function configFileFrom(
  options: LoadConfigOptions,
  env: NodeJS.ProcessEnv,
  cwd: string,
): { ref?: ConfigFileRef; problems: string[] } {
  const given = options.configFile;
  if (given === undefined) return findConfigFile(options.argv ?? [], env, cwd);
  if (given === '') return { problems: ['--config needs a file path'] };
  return { ref: { path: resolve(cwd, given), from: '--config' }, problems: [] };
}

/** Loads the node config: schema defaults, then the config file, then EDGEMQ_* variables. */
export function loadConfig(options: LoadConfigOptions = {}): EdgeConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();

  const found = configFileFrom(options, env, cwd);
  const fileReading = found.ref ? readConfigFile(found.ref) : { data: {}, problems: [] };
  const envReading = readEnv(env);
  const input = applyOverrides(fileReading.data, envReading.overrides);
  const result = configSchema.safeParse(input);

  const problems = [...found.problems, ...fileReading.problems, ...envReading.problems];
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push(...describeIssue(issue, input, envReading.overrides, found.ref));
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}
