#!/usr/bin/env node
// Copies the non-TypeScript files a built package reads at run time into its dist, since tsc
// copies only what it compiles: the backbone's Lua scripts. Run after `tsc -b` (`make build`,
// `npm run build`), so a dist tree runs without src beside it. Files in a destination that
// its source no longer has are removed, so a deleted script does not linger in dist.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each asset directory: from (in src), to (in dist), and the file names it holds. */
const assets = [
  { from: 'libs/backbone/src/redis/lua', to: 'libs/backbone/dist/redis/lua', pattern: /\.lua$/ },
];

for (const { from, to, pattern } of assets) {
  const source = join(root, from);
  const target = join(root, to);
  if (!existsSync(source)) {
    console.error(`copy-assets: ${relative(root, source)} does not exist`);
    process.exit(1);
  }
  const files = readdirSync(source).filter((name) => pattern.test(name));
  mkdirSync(target, { recursive: true });
  for (const name of readdirSync(target)) {
    if (pattern.test(name) && !files.includes(name)) rmSync(join(target, name));
  }
  for (const name of files) copyFileSync(join(source, name), join(target, name));
}
