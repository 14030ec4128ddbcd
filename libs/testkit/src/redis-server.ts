// A real Redis for tests. With a Docker engine that answers (`docker info` within 2 s), a
// container from @testcontainers/redis; otherwise, or when the container cannot start,
// Debian's `redis-server` as a child process on a free loopback port, without
// persistence, in a temp dir, stopped by pid. The local process can also be paused (the
// process stops, the port is kept) and resumed on the same port, for "Redis goes away"
// tests. A paused server loses its data, like a cache-only Redis that restarts.
//
// EDGEMQ_TEST_REDIS=process|container|auto overrides the choice (default auto).

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type RedisServerMode = 'container' | 'process';

export interface RedisServer {
  /** `redis://host:port`. */
  readonly url: string;
  readonly mode: RedisServerMode;
  /** Stops the server and removes what it left behind; safe to call twice. */
  stop(): Promise<void>;
  /** Stops the server but keeps its port (process mode only; data is lost). */
  pause(): Promise<void>;
  /** Starts the server again on the same port and waits until it answers PING. */
  resume(): Promise<void>;
}

export interface StartRedisOptions {
  /** 'auto' (default): a container when Docker answers, else a local redis-server. */
  mode?: 'auto' | RedisServerMode;
}

const STARTUP_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const mode = options.mode ?? modeFromEnv();
  if (mode === 'process') return startProcess();
  if (mode === 'container') return startContainer();
  if (await dockerAnswers()) {
    try {
      return await startContainer();
    } catch (error) {
      if (redisServerBinary() === undefined) throw error;
    }
  }
  return startProcess();
}

function modeFromEnv(): 'auto' | RedisServerMode {
  const value = process.env.EDGEMQ_TEST_REDIS;
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'process' || value === 'container') return value;
  throw new Error(`EDGEMQ_TEST_REDIS must be auto, process or container; got ${JSON.stringify(value)}`);
}

/** True when a Docker engine answers within 2 s. Never hangs, never throws. */
export function dockerAnswers(timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      execFile(
        'docker',
        ['info', '--format', '{{.ServerVersion}}'],
        { timeout: timeoutMs },
        (error, stdout) => resolve(error === null && stdout.trim().length > 0),
      );
    } catch {
      resolve(false);
    }
  });
}

async function startContainer(): Promise<RedisServer> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer('redis:7-alpine').start();
  let stopped = false;
  const unsupported = async () => {
    throw new Error('pause()/resume() need a local redis-server: startRedis({ mode: "process" })');
  };
  return {
    url: container.getConnectionUrl(),
    mode: 'container',
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await container.stop();
    },
    pause: unsupported,
    resume: unsupported,
  };
}

export function redisServerBinary(): string | undefined {
  if (existsSync('/usr/bin/redis-server')) return '/usr/bin/redis-server';
  const onPath = (process.env.PATH ?? '')
    .split(':')
    .map((dir) => join(dir, 'redis-server'))
    .find((candidate) => existsSync(candidate));
  return onPath;
}

// Children still running when the test process exits are killed by pid.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function startProcess(): Promise<RedisServer> {
  const binary = redisServerBinary();
  if (binary === undefined) throw new Error('redis-server not found (apt-get install redis-server)');
  const dir = await mkdtemp(join(tmpdir(), 'edgemq-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;
  // A free port can be taken between probing and binding: try a few.
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(binary, port, dir);
    } catch (error) {
      if (attempt >= 2) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  let stopped = false;
  return {
    url: `redis://127.0.0.1:${port}`,
    mode: 'process',
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (child !== undefined) await terminate(child);
      child = undefined;
      await rm(dir, { recursive: true, force: true });
    },
    pause: async () => {
      if (child !== undefined) await terminate(child);
      child = undefined;
    },
    resume: async () => {
      if (stopped) throw new Error('resume() after stop()');
      if (child === undefined) child = await launch(binary, port, dir);
    },
  };
}

/** Spawns redis-server on `port` and resolves once it answers PING. */
export async function launch(
  binary: string,
  port: number,
  dir: string,
  extraArgs: string[] = [],
): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  args.push('--dir', dir, '--loglevel', 'warning', ...extraArgs);
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => running.delete(child));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!(await ping(port))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await terminate(child);
      throw new Error(`redis-server did not start on port ${port}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return child;
}

/** SIGTERM, then SIGKILL after a while; resolves once the process has exited. */
export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** One PING over a raw socket; true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
