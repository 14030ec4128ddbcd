// The Redis a cluster cell runs on: Debian's `redis-server` (installed with apt-get when
// missing, as mosquitto), started by testkit's `startRedis` on a free loopback port without
// persistence and stopped after the cell. `INFO` is read over a raw socket (one inline
// command, one bulk reply), so counting commands needs no Redis client library.
import net from 'node:net';
import { type RedisServer, redisServerBinary, startRedis } from '@edgemq/testkit';
import { findOrInstall } from './apt.js';
import { onCleanup } from './cleanup.js';

export interface BenchRedis {
  readonly url: string;
  /** The redis-server process (from `INFO server`), for its CPU. */
  readonly pid: number;
  readonly version: string;
  stop(): Promise<void>;
}

export async function startBenchRedis(): Promise<BenchRedis> {
  if (redisServerBinary() === undefined) {
    findOrInstall('redis-server', 'redis-server', ['/usr/bin/redis-server', '/usr/local/bin/redis-server']);
  }
  const server: RedisServer = await startRedis({ mode: 'process' });
  const stop = onCleanup(() => server.stop());
  try {
    const info = parseInfo(await redisInfo(server.url, 'server'));
    return {
      url: server.url,
      pid: Number(info.get('process_id')),
      version: info.get('redis_version') ?? 'unknown',
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `INFO <section>` as text. */
export function redisInfo(url: string, section: string, timeoutMs = 5000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) });
    let reply = Buffer.alloc(0);
    const done = (err: Error | undefined, text?: string) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(text!);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`redis INFO ${section}: no reply in ${timeoutMs} ms`)));
    socket.once('error', (err) => done(err));
    socket.once('connect', () => socket.write(`INFO ${section}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      const eol = reply.indexOf('\r\n');
      if (eol < 0) return;
      const head = reply.subarray(0, eol).toString();
      if (head.startsWith('-')) return done(new Error(`redis INFO ${section}: ${head.slice(1)}`));
      if (!head.startsWith('$')) return done(new Error(`redis INFO ${section}: unexpected reply ${head}`));
      const length = Number(head.slice(1));
      if (reply.length >= eol + 2 + length)
        done(undefined, reply.subarray(eol + 2, eol + 2 + length).toString());
    });
  });
}

/** `key:value` lines of an INFO reply. */
export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) out.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return out;
}

/**
 * Calls per command from `INFO commandstats` (`cmdstat_xadd:calls=12,usec=…`), and their sum.
 * The `INFO` that reads them is not in its own reply; a before/after pair therefore counts
 * exactly one bench `INFO` (the first), which `commandsBetween` subtracts.
 */
export function parseCommandStats(text: string): { total: number; byCommand: Record<string, number> } {
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const [key, value] of parseInfo(text)) {
    if (!key.startsWith('cmdstat_')) continue;
    const calls = Number(/(?:^|,)calls=(\d+)/.exec(value)?.[1] ?? 0);
    byCommand[key.slice('cmdstat_'.length)] = calls;
    total += calls;
  }
  return { total, byCommand };
}

export async function commandStats(
  url: string,
): Promise<{ total: number; byCommand: Record<string, number> }> {
  return parseCommandStats(await redisInfo(url, 'commandstats'));
}

export interface CommandDelta {
  total: number;
  /** The commands that made up the delta, most calls first (the top 8). */
  top: Record<string, number>;
}

/** Commands run between two `commandStats` readings, less the one bench INFO in between. */
export function commandsBetween(
  before: { total: number; byCommand: Record<string, number> },
  after: { total: number; byCommand: Record<string, number> },
): CommandDelta {
  const deltas = Object.entries(after.byCommand)
    .map(([cmd, calls]) => [cmd, calls - (before.byCommand[cmd] ?? 0) - (cmd === 'info' ? 1 : 0)] as const)
    .filter(([, d]) => d > 0)
    .sort((a, b) => b[1] - a[1]);
  return {
    total: Math.max(0, after.total - before.total - 1),
    top: Object.fromEntries(deltas.slice(0, 8)),
  };
}
