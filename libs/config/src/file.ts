// The config file: found via --config or EDGEMQ_CONFIG, parsed as YAML (which also reads JSON).
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';

export interface ConfigFileRef {
  /** Absolute path. */
  readonly path: string;
  /** Where the path came from. */
  readonly from: '--config' | 'EDGEMQ_CONFIG';
}

export interface FileReading {
  readonly data: Record<string, unknown>;
  readonly problems: string[];
}

const extensions = new Set(['.yaml', '.yml', '.json']);

/** The config file named by `--config <path>` / `--config=<path>` (last wins), else by EDGEMQ_CONFIG. */
export function findConfigFile(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): { ref?: ConfigFileRef; problems: string[] } {
  let given: string | undefined;
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    const arg = argv[i];
    if (arg.startsWith('--config=')) given = arg.slice('--config='.length);
    else if (arg === '--config') given = argv[++i];
    else continue;
    if (!given || given === '--') return { problems: ['--config needs a file path'] };
  }
  if (given) return { ref: { path: resolve(cwd, given), from: '--config' }, problems: [] };
  const fromEnv = env.EDGEMQ_CONFIG;
  if (fromEnv) return { ref: { path: resolve(cwd, fromEnv), from: 'EDGEMQ_CONFIG' }, problems: [] };
  return { problems: [] };
}

/** Reads and parses the file; an empty file is an empty config. */
export function readConfigFile(ref: ConfigFileRef): FileReading {
  const problem = (why: string) => `config file ${ref.path} (from ${ref.from}): ${why}`;
  const fail = (why: string): FileReading => ({ data: {}, problems: [problem(why)] });
  if (!extensions.has(extname(ref.path).toLowerCase())) {
    return fail('unsupported extension; expected .yaml, .yml or .json');
  }
  let text: string;
  try {
    text = readFileSync(ref.path, 'utf8');
  } catch (err) {
    return fail(`cannot read: ${(err as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const at = lines.linePos(e.pos[0]);
      return problem(`cannot parse at line ${at.line}, column ${at.col}: ${e.message}`);
    });
    return { data: {}, problems };
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return { data: {}, problems: [] };
  if (typeof data !== 'object' || Array.isArray(data)) {
    return fail(`expected a mapping of config keys at the top level, got ${JSON.stringify(data)}`);
  }
  return { data: data as Record<string, unknown>, problems: [] };
}
