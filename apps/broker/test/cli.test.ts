// The `edgemq` command line as a real process (needs the built tree: `make build`): --help and
// --version answer and exit 0, an unknown option or stray argument stops start-up with exit
// code 2 before anything listens, and the commented example config starts a node.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { repoRoot, type SpawnedNode, spawnNode } from '@edgemq/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const started: ChildProcess[] = [];
const nodes: SpawnedNode[] = [];

beforeAll(() => {
  if (!existsSync(`${repoRoot}apps/broker/dist/main.js`)) {
    throw new Error('apps/broker/dist/main.js is missing: run `make build` before these tests');
  }
});

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop('SIGKILL', 2000)));
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs bin/edgemq to completion (killed by pid after 10 s), ports 0 so a mistaken start binds nothing fixed. */
async function edgemq(args: string[]): Promise<Run> {
  const begin = Date.now();
  const child = spawn(`${repoRoot}bin/edgemq`, args, {
    env: { ...process.env, EDGEMQ_HOST: '127.0.0.1', EDGEMQ_HTTP_PORT: '0', EDGEMQ_MQTT_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr, ms: Date.now() - begin };
}

const version = (JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8')) as { version: string }).version;

describe('edgemq --help and --version', () => {
  it.each([['--help'], ['-h']])(
    '%s: usage with the flags, the EDGEMQ_* convention and the docs; exit 0',
    async (flag) => {
      const run = await edgemq([flag]);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^Usage: edgemq \[--config FILE\]/);
      for (const text of ['--config FILE', '--help', '--version', 'EDGEMQ_CONFIG', 'EDGEMQ_HTTP_PORT']) {
        expect(run.stdout).toContain(text);
      }
      expect(run.stdout).toContain(`${repoRoot}README.md`);
      expect(run.stdout).toContain(`${repoRoot}edgemq.example.yaml`);
    },
  );

  it('--version: `edgemq <version>` from the root package.json; exit 0', async () => {
    const run = await edgemq(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`edgemq ${version}\n`);
  });
});

describe('a command line edgemq does not take stops start-up with exit 2', () => {
  it.each([
    { args: ['--port', '1883'], names: 'unknown option --port' },
    { args: ['--config=x.yaml', '-v'], names: 'unknown option -v' },
    { args: ['start'], names: 'unexpected argument "start"' },
    { args: ['--config'], names: '--config needs a file path' },
  ])('$args: names it, hints at --help, listens on nothing', async ({ args, names }) => {
    const run = await edgemq(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`edgemq: ${names}`);
    expect(run.stderr).toContain("Run 'edgemq --help' for usage.");
    // Refused before the node was built: no listening line, no log at all, and quickly.
    expect(run.stdout).toBe('');
    expect(run.ms).toBeLessThan(5000);
  });
});

describe('--config edgemq.example.yaml', () => {
  it('starts a node (ports 0 from the environment), /healthz answers, SIGTERM exits 0', async () => {
    const node = await spawnNode({ args: ['--config', `${repoRoot}edgemq.example.yaml`] });
    nodes.push(node);
    const res = await fetch(`http://127.0.0.1:${node.ports.http}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; ports: { http: number; mqtt: number } };
    expect(body.status).toBe('ok');
    expect(body.ports).toEqual(node.ports);
    expect(await node.stop('SIGTERM')).toBe(0);
  });
});
