// Environment overrides: EDGEMQ_<KEY_PATH> for every schema leaf, converted by the leaf's type.
import { didYouMean } from './errors.js';
import { type ConfigField, configFields, envPrefix } from './fields.js';

/** EDGEMQ_* variables that are not config keys and so pass the typo guard. */
// EDGEMQ_CONFIG names the config file; EDGEMQ_TEST_* steer the test kit, not the node.
export const reservedEnvVars: ReadonlySet<string> = new Set(['EDGEMQ_CONFIG', 'EDGEMQ_TEST_REDIS']);

export interface EnvOverride {
  readonly field: ConfigField;
  /** The variable's text, as set. */
  readonly raw: string;
  readonly value: unknown;
}

export interface EnvReading {
  readonly overrides: EnvOverride[];
  readonly problems: string[];
}

const numberText = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const booleans: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };

/** Converts an env string to the field's type; undefined when it does not convert. */
function convert(field: ConfigField, raw: string): unknown {
  const text = raw.trim();
  switch (field.kind) {
    case 'integer':
    case 'number':
      return numberText.test(text) ? Number(text) : undefined;
    case 'boolean':
      return booleans[text.toLowerCase()];
    default:
      return raw;
  }
}

/**
 * Reads every EDGEMQ_* variable. An empty value counts as unset. Range and enum checks are left to the
 * schema; this only converts text and refuses variables that name no key.
 */
export function readEnv(env: NodeJS.ProcessEnv, fields: readonly ConfigField[] = configFields): EnvReading {
  const byVar = new Map(fields.map((field) => [field.envVar, field]));
  const overrides: EnvOverride[] = [];
  const problems: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(envPrefix) || reservedEnvVars.has(name)) continue;
    const field = byVar.get(name);
    if (!field) {
      const hint = didYouMean(name, [...byVar.keys(), ...reservedEnvVars]);
      problems.push(`unknown environment variable "${name}": it maps to no config key${hint}`);
      continue;
    }
    if (raw === undefined || raw === '') continue;
    const value = convert(field, raw);
    if (value === undefined) {
      problems.push(`${field.key}: expected ${field.expected}, got ${JSON.stringify(raw)} (from ${name})`);
      continue;
    }
    overrides.push({ field, raw, value });
  }
  return { overrides, problems };
}
