// A real Sentinel setup for tests: a master, optionally one replica, and one sentinel
// (quorum 1, quick failure detection) as local redis-server processes on free loopback
// ports, stopped by pid. `failMaster()` kills the master so the sentinel promotes the
// replica, the way a production failover goes.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, launch, redisServerBinary, terminate } from './redis-server.js';

export interface RedisSentinelSetup {
  /** `redis://127.0.0.1:<sentinel port>`: what a client in sentinel mode is given. */
  readonly url: string;
  readonly masterName: string;
  readonly masterPort: number;
  /** Kills the master; resolves once the sentinel names the replica as the new master. */
  failMaster(): Promise<void>;
  stop(): Promise<void>;
}

export interface SentinelOptions {
  /** Start a replica the sentinel can promote (needed for failMaster). */
  replica?: boolean;
}

const MASTER_NAME = 'edgemq';

export async function startRedisSentinel(options: SentinelOptions = {}): Promise<RedisSentinelSetup> {
  const binary = redisServerBinary();
  if (binary === undefined) throw new Error('redis-server not found (apt-get install redis-server)');
  const dir = await mkdtemp(join(tmpdir(), 'edgemq-redis-sentinel-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.splice(0).map((child) => terminate(child)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const masterPort = await freePort();
    const master = await launch(binary, masterPort, await subdir(dir, 'master'));
    children.push(master);
    let replicaPort: number | undefined;
    if (options.replica) {
      replicaPort = await freePort();
      const args = ['--replicaof', '127.0.0.1', String(masterPort)];
      children.push(await launch(binary, replicaPort, await subdir(dir, 'replica'), args));
      await waitFor(async () =>
        (await cli(replicaPort as number, 'info', 'replication')).includes('master_link_status:up'),
      );
    }
    const sentinelPort = await freePort();
    const conf = join(dir, 'sentinel.conf');
    await writeFile(
      conf,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 1`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
        `sentinel failover-timeout ${MASTER_NAME} 5000`,
        '',
      ].join('\n'),
    );
    const sentinel = spawn(binary, [conf, '--sentinel'], { cwd: dir, stdio: 'ignore' });
    children.push(sentinel);
    await waitFor(async () => (await masterAddress(sentinelPort)) === String(masterPort));
    if (replicaPort !== undefined) {
      // The sentinel must know the replica before a failover can promote it.
      await waitFor(async () =>
        (await cli(sentinelPort, 'sentinel', 'replicas', MASTER_NAME)).includes(String(replicaPort)),
      );
    }
    return {
      url: `redis://127.0.0.1:${sentinelPort}`,
      masterName: MASTER_NAME,
      masterPort,
      failMaster: async () => {
        if (replicaPort === undefined)
          throw new Error('failMaster() needs startRedisSentinel({ replica: true })');
        master.kill('SIGKILL');
        await waitFor(async () => (await masterAddress(sentinelPort)) === String(replicaPort), 20_000);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function subdir(dir: string, name: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(path);
  return path;
}

async function masterAddress(sentinelPort: number): Promise<string | undefined> {
  const reply = await cli(sentinelPort, 'sentinel', 'get-master-addr-by-name', MASTER_NAME);
  return reply.trim().split('\n')[1];
}

function cli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile('redis-cli', ['-p', String(port), ...args], { timeout: 5000 }, (_error, stdout) =>
      resolve(stdout ?? ''),
    );
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('redis sentinel setup: timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
