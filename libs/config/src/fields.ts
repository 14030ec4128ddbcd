// The schema flattened into leaf fields (key path, env var, type, default, description), found by walking it.
import { z } from 'zod';
import { configSchema } from './schema.js';

export type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'enum';

export interface ConfigField {
  /** Key path segments, e.g. `['mqtt', 'maxPacketBytes']`. */
  readonly path: readonly string[];
  /** Dotted key path, e.g. `mqtt.maxPacketBytes`. */
  readonly key: string;
  /** Environment variable that sets this field, e.g. `EDGEMQ_MQTT_MAX_PACKET_BYTES`. */
  readonly envVar: string;
  readonly kind: FieldKind;
  /** What a valid value looks like, for error messages and docs, e.g. `integer 0..65535`. */
  readonly expected: string;
  readonly hasDefault: boolean;
  readonly defaultValue?: unknown;
  readonly description: string;
}

export const envPrefix = 'EDGEMQ_';

/** `['mqtt', 'maxPacketBytes']` → `EDGEMQ_MQTT_MAX_PACKET_BYTES`. */
export function envVarName(path: readonly string[]): string {
  const words = path.map((segment) =>
    segment
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
      .toUpperCase(),
  );
  return envPrefix + words.join('_');
}

const unbounded = (n: number | null) =>
  n === null || !Number.isFinite(n) || Math.abs(n) >= Number.MAX_SAFE_INTEGER;

function range(min: number | null, max: number | null): string {
  const lo = unbounded(min) ? undefined : min;
  const hi = unbounded(max) ? undefined : max;
  if (lo !== undefined && hi !== undefined) return ` ${lo}..${hi}`;
  if (lo !== undefined) return ` >= ${lo}`;
  if (hi !== undefined) return ` <= ${hi}`;
  return '';
}

function describeLeaf(schema: z.ZodType, key: string): { kind: FieldKind; expected: string } {
  if (schema instanceof z.ZodNumber) {
    const kind = schema.isInt ? 'integer' : 'number';
    return { kind, expected: kind + range(schema.minValue, schema.maxValue) };
  }
  if (schema instanceof z.ZodString) {
    return { kind: 'string', expected: (schema.minLength ?? 0) > 0 ? 'non-empty string' : 'string' };
  }
  if (schema instanceof z.ZodBoolean) return { kind: 'boolean', expected: 'boolean' };
  if (schema instanceof z.ZodEnum) return { kind: 'enum', expected: `one of ${schema.options.join(', ')}` };
  throw new Error(`config schema: unsupported type "${schema.def.type}" at ${key}`);
}

/** Walks an object schema to its leaves; throws if two keys would share an environment variable. */
export function fieldsOf(schema: z.ZodObject, parent: readonly string[] = []): ConfigField[] {
  const fields: ConfigField[] = [];
  for (const [name, declared] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    const path = [...parent, name];
    const key = path.join('.');
    let inner = declared;
    let description = declared.description;
    let hasDefault = false;
    let defaultValue: unknown;
    while (
      inner instanceof z.ZodDefault ||
      inner instanceof z.ZodPrefault ||
      inner instanceof z.ZodOptional
    ) {
      if (inner instanceof z.ZodDefault && !hasDefault) {
        hasDefault = true;
        defaultValue = inner.def.defaultValue;
      }
      inner = inner.unwrap() as z.ZodType;
      description ??= inner.description;
    }
    if (inner instanceof z.ZodObject) {
      fields.push(...fieldsOf(inner, path));
      continue;
    }
    if (!description) throw new Error(`config schema: ${key} has no .describe()`);
    const leaf = describeLeaf(inner, key);
    fields.push({ path, key, envVar: envVarName(path), ...leaf, hasDefault, defaultValue, description });
  }
  if (parent.length === 0) {
    const seen = new Map<string, string>();
    for (const field of fields) {
      const other = seen.get(field.envVar);
      if (other) throw new Error(`config schema: ${other} and ${field.key} both map to ${field.envVar}`);
      seen.set(field.envVar, field.key);
    }
  }
  return fields;
}

/** Every leaf of the node config, in schema order. */
export const configFields: readonly ConfigField[] = fieldsOf(configSchema);
