// The layering of docs/architecture.md, checked on the sources: a lib imports only the libs
// below it, and no package has an import cycle inside it (type-only imports count: they
// tie the files together for a reader just the same).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** What each lib may import, from docs/architecture.md. */
const allowed: Record<string, string[]> = {
  model: [],
  config: [],
  transport: [],
  access: ['transport'],
  backbone: ['model'],
  core: ['model', 'backbone'],
  mqtt: ['core', 'access', 'transport'],
  testkit: [],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Module specifiers of every import and re-export, type-only ones included. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\b[^'"]*?from\s+'([^']+)'/gms)].map((m) => m[1]);
}

describe('architecture', () => {
  it('every lib is listed with what it may import', () => {
    expect(readdirSync(join(root, 'libs')).sort()).toEqual(Object.keys(allowed).sort());
  });

  it.each(Object.keys(allowed))('libs/%s imports only the libs below it', (lib) => {
    const used = new Set<string>();
    for (const file of sourceFiles(join(root, 'libs', lib, 'src'))) {
      for (const spec of importsOf(file)) {
        const match = /^@edgemq\/([a-z-]+)/.exec(spec);
        if (match) used.add(match[1]);
      }
    }
    expect([...used].filter((name) => !allowed[lib].includes(name))).toEqual([]);
  });

  const packages = [...Object.keys(allowed).map((lib) => `libs/${lib}`), 'apps/broker', 'apps/bench'];
  it.each(packages)('%s has no import cycle', (pkg) => {
    const files = sourceFiles(join(root, pkg, 'src'));
    const edges = new Map<string, string[]>();
    for (const file of files) {
      const local = importsOf(file)
        .filter((spec) => spec.startsWith('.'))
        .map((spec) => resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      edges.set(file, local);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => f.slice(root.length)).join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
