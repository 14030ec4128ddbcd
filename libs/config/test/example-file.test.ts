// edgemq.example.yaml at the repository root documents every config key at its default: it loads
// with the real loader, names every schema key (so a new key without an entry fails here), and
// its values are the schema defaults. Keys with no default are present but commented out.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configFields, loadConfig } from '../src/index.js';

const examplePath = fileURLToPath(new URL('../../../edgemq.example.yaml', import.meta.url));
const text = readFileSync(examplePath, 'utf8');

function valueAt(tree: unknown, path: readonly string[]): unknown {
  let node = tree;
  for (const segment of path) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return node;
}

/** `#key:` (or `# key:`) indented two spaces per level, as it reads once uncommented. */
const commentedOut = (path: readonly string[]) =>
  new RegExp(`^${'  '.repeat(path.length - 1)}# ?${path[path.length - 1]}:`, 'm');

describe('edgemq.example.yaml', () => {
  it('loads with the real loader and gives exactly the defaults', () => {
    const fromFile = loadConfig({ configFile: examplePath, env: {} });
    expect(fromFile).toEqual(loadConfig({ env: {} }));
  });

  it.each(configFields.filter((f) => f.hasDefault).map((f) => [f.key, f] as const))(
    '%s is set to its schema default',
    (_key, field) => {
      expect(valueAt(parse(text), field.path)).toEqual(field.defaultValue);
    },
  );

  it.each(configFields.filter((f) => !f.hasDefault).map((f) => [f.key, f] as const))(
    '%s (no default) is there, commented out',
    (_key, field) => {
      expect(valueAt(parse(text), field.path)).toBeUndefined();
      expect(text).toMatch(commentedOut(field.path));
    },
  );

  it('names the environment variable of every key', () => {
    for (const field of configFields) expect(text, field.key).toContain(`env: ${field.envVar}\n`);
  });
});
