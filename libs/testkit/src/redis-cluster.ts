// A real Redis Cluster for tests: N masters (no replicas) as local redis-server processes
// on free loopback ports, joined with `redis-cli --cluster create`, stopped by pid.
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, launch, redisServerBinary, terminate } from './redis-server.js';

export interface RedisClusterServer {
  /** `redis://127.0.0.1:p1,127.0.0.1:p2,…` (every master is a seed). */
  readonly url: string;
  readonly ports: number[];
  stop(): Promise<void>;
}

const BUS_OFFSET = 10_000;

export async function startRedisCluster(masters = 3): Promise<RedisClusterServer> {
  const binary = redisServerBinary();
  if (binary === undefined) throw new Error('redis-server not found (apt-get install redis-server)');
  const dir = await mkdtemp(join(tmpdir(), 'edgemq-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(children.splice(0).map((child) => terminate(child)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    while (ports.length < masters) {
      const port = await clusterPort();
      const nodeDir = join(dir, String(port));
      await mkdir(nodeDir);
      const args = ['--cluster-enabled', 'yes', '--cluster-config-file', join(nodeDir, 'nodes.conf')];
      children.push(await launch(binary, port, nodeDir, args));
      ports.push(port);
    }
    const addresses = ports.map((p) => `127.0.0.1:${p}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    // Every node must agree the cluster is up before a client's first slot refresh.
    for (const port of ports) await waitForClusterOk(port);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, ports, stop };
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + BUS_OFFSET < 65536 && (await isFree(port + BUS_OFFSET))) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

async function waitForClusterOk(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const info = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
    if (info.includes('cluster_state:ok')) return;
    if (Date.now() > deadline) throw new Error(`cluster not ok:\n${info}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
