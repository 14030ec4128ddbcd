// The generated config table, the README copy of it, and the script that keeps them equal.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  configFields,
  configTableEnd,
  configTableStart,
  extractConfigTable,
  renderConfigTable,
  replaceConfigTable,
} from '../src/index.js';
import { removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const readmeUrl = new URL('../../../README.md', import.meta.url);
const readme = existsSync(readmeUrl) ? readFileSync(readmeUrl, 'utf8') : '';
const readmeTable = extractConfigTable(readme);

describe('config table', () => {
  it('has a header and one row per key with env var, type, default and description', () => {
    const lines = renderConfigTable().split('\n');
    expect(lines[0]).toBe('| Key | Env var | Type | Default | Description |');
    expect(lines).toHaveLength(configFields.length + 2);
    expect(lines).toContain(
      '| `mqtt.port` | `EDGEMQ_MQTT_PORT` | integer 0..65535 | `1883` | MQTT over TCP listen port (0 = any free port) |',
    );
    expect(lines.find((l) => l.startsWith('| `nodeId`'))).toContain('| (none) |');
    expect(lines.find((l) => l.startsWith('| `logLevel`'))).toContain('| `info` |');
  });

  it.skipIf(readmeTable === undefined)('matches the table in README.md', () => {
    expect(readmeTable).toBe(renderConfigTable().trim());
  });

  it('replaces only the text between the markers', () => {
    const before = `# Title\n\n${configTableStart}\nold\n${configTableEnd}\n\nafter\n`;
    const after = replaceConfigTable(before);
    expect(after).toBe(
      `# Title\n\n${configTableStart}\n${renderConfigTable()}\n${configTableEnd}\n\nafter\n`,
    );
    expect(replaceConfigTable(after)).toBe(after);
    expect(extractConfigTable(after)).toBe(renderConfigTable());
    expect(() => replaceConfigTable('# no markers')).toThrow(/not found/);
  });

  const script = fileURLToPath(new URL('../../../scripts/config-table.mjs', import.meta.url));
  const built = existsSync(new URL('../dist/index.js', import.meta.url));
  it.skipIf(!built)('script writes the table and --check exits 1 when it differs', () => {
    const file = join(tempDir(), 'README.md');
    writeFileSync(file, `# x\n${configTableStart}\nold\n${configTableEnd}\n`);
    const run = (...args: string[]) => execFileSync('node', [script, ...args], { stdio: 'pipe' });
    expect(() => run('--check', file)).toThrow();
    run(file);
    // dist may lag the source here, so only check that a table was written.
    expect(extractConfigTable(readFileSync(file, 'utf8'))).toContain('| `mqtt.port` | `EDGEMQ_MQTT_PORT` |');
    expect(() => run('--check', file)).not.toThrow();
  });
});
