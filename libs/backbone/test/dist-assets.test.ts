// The built backbone carries its Lua scripts: scripts/copy-assets.mjs (run by `make build` and
// `npm run build` after tsc) copies src/redis/lua into dist/redis/lua, and the loader reads
// only the directory next to it, so a dist tree runs with no src beside it.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scriptNames } from '../src/redis/scripts.js';

const packageRoot = fileURLToPath(new URL('../', import.meta.url));
const srcLua = join(packageRoot, 'src/redis/lua');
const dist = join(packageRoot, 'dist');
const distLua = join(dist, 'redis/lua');
const tempDirs: string[] = [];

beforeAll(() => {
  if (!existsSync(join(dist, 'redis/scripts.js'))) {
    throw new Error(`${dist} is not built: run \`make build\` (tsc -b, then scripts/copy-assets.mjs) first`);
  }
});

afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const luaFiles = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.lua'));

/** A copy of the built dist tree alone in a temp directory: no src, no node_modules above it. */
function distCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgemq-dist-'));
  tempDirs.push(dir);
  cpSync(dist, join(dir, 'dist'), { recursive: true });
  return join(dir, 'dist');
}

/** Imports `scripts.js` in a plain node process (as `bin/edgemq` would) and lists what it loaded. */
function loadIn(copy: string) {
  const url = pathToFileURL(join(copy, 'redis/scripts.js')).href;
  const code = `const m = await import(${JSON.stringify(url)}); console.log(JSON.stringify(m.loadedScripts()));`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
}

describe('Lua scripts in the built tree', () => {
  it('every .lua of src/redis/lua is in dist/redis/lua with the same content', () => {
    const sources = luaFiles(srcLua);
    expect(sources.length).toBeGreaterThan(0);
    expect(existsSync(distLua), `${distLua} is missing: scripts/copy-assets.mjs has not run`).toBe(true);
    expect(luaFiles(distLua).sort()).toEqual(sources.sort());
    for (const name of sources) {
      expect(readFileSync(join(distLua, name), 'utf8'), name).toBe(readFileSync(join(srcLua, name), 'utf8'));
    }
  });

  it('dist/redis/scripts.js copied away from src loads every script the backbone calls', () => {
    const run = loadIn(distCopy());
    expect(run.status, run.stderr).toBe(0);
    const loaded = JSON.parse(run.stdout) as { name: string; numberOfKeys: number }[];
    expect(loaded.map((s) => s.name).sort()).toEqual([...scriptNames].sort());
    // The key count comes from the file name (<name>-<numKeys>.lua), as in src.
    for (const { name, numberOfKeys } of loaded) {
      expect(luaFiles(srcLua)).toContain(`${name}-${numberOfKeys}.lua`);
    }
  });

  it('without dist/redis/lua, loading fails naming the directory it looked in', () => {
    const copy = distCopy();
    rmSync(join(copy, 'redis/lua'), { recursive: true });
    const run = loadIn(copy);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`Lua scripts directory ${join(copy, 'redis/lua')}`);
  });

  it('copy-assets removes a script from dist that src no longer has', () => {
    const stale = join(distLua, 'stale-1.lua');
    cpSync(join(srcLua, luaFiles(srcLua)[0]), stale);
    execFileSync(process.execPath, [
      fileURLToPath(new URL('../../../scripts/copy-assets.mjs', import.meta.url)),
    ]);
    expect(existsSync(stale)).toBe(false);
  });
});
