#!/usr/bin/env node
// Regenerates the config table between the config-table markers of a README, or with --check verifies it.
// Usage: node scripts/config-table.mjs [--check] [README.md]   (build libs/config first: npx tsc -b libs/config)
import { readFileSync, writeFileSync } from 'node:fs';
import { configTableEnd, configTableStart, replaceConfigTable } from '../libs/config/dist/index.js';

const args = process.argv.slice(2);
const check = args.includes('--check');
const files = args.filter((arg) => arg !== '--check');
if (files.length > 1 || files.some((arg) => arg.startsWith('-'))) {
  console.error('usage: node scripts/config-table.mjs [--check] [README.md]');
  process.exit(2);
}
const file = files[0] ?? 'README.md';

let readme;
let updated;
try {
  readme = readFileSync(file, 'utf8');
  updated = replaceConfigTable(readme);
} catch (err) {
  console.error(`${file}: ${err.message}`);
  console.error(`(the table goes between ${configTableStart} and ${configTableEnd})`);
  process.exit(1);
}

if (check) {
  if (updated !== readme) {
    console.error(`${file}: config table is out of date; run node scripts/config-table.mjs ${file}`);
    process.exit(1);
  }
  console.log(`${file}: config table is up to date`);
} else if (updated !== readme) {
  writeFileSync(file, updated);
  console.log(`${file}: config table updated`);
} else {
  console.log(`${file}: config table already up to date`);
}
