// The Redis connection a backbone uses: a single server, a Sentinel-managed master (ioredis
// asks the sentinels where the master is, and follows a failover), or a Redis Cluster. Every key the backbone
// touches in one command or script shares a slot (keys.ts), so both behave the same.
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  /**
   * `redis://host:port` for one server; for a cluster, any node(s), and for sentinel mode
   * the sentinels: `redis://[user:password@]h1:p1,h2:p2` (credentials are the master's).
   */
  url: string;
  mode?: 'standalone' | 'cluster' | 'sentinel';
  /** Sentinel mode: the monitored master's name (default 'mymaster'). */
  sentinelName?: string;
}

export function createRedisClient(target: RedisTarget, options: RedisOptions): RedisClient {
  if (target.mode === 'cluster') {
    const { lazyConnect, maxRetriesPerRequest, ...rest } = options;
    return new Cluster(seedsOf(target.url), {
      lazyConnect,
      redisOptions: { ...rest, maxRetriesPerRequest, ...credentialsOf(target.url) },
    });
  }
  if (target.mode === 'sentinel') {
    return new Redis({
      ...options,
      ...credentialsOf(target.url),
      sentinels: seedsOf(target.url),
      name: target.sentinelName ?? 'mymaster',
    });
  }
  return new Redis(target.url, options);
}

/** The host:port list of a `redis://[cred@]h1:p1,h2:p2[/db]` url. */
function seedsOf(url: string): Array<{ host: string; port: number }> {
  return url
    .replace(/^rediss?:\/\/([^@]*@)?/, '')
    .split(',')
    .map((hostPort) => {
      const [host, port] = hostPort.replace(/\/.*$/, '').split(':');
      return { host, port: Number(port || 6379) };
    });
}

function credentialsOf(url: string): { username?: string; password?: string } {
  const first = new URL(url.split(',')[0]);
  return {
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
  };
}

/** A new connection to the same Redis (blocking reads and pub/sub need their own). */
export function duplicateClient(client: RedisClient, options: RedisOptions): RedisClient {
  if (!(client instanceof Cluster)) return client.duplicate(options);
  const { lazyConnect, ...redisOptions } = options;
  return client.duplicate(undefined, {
    lazyConnect,
    redisOptions: { ...client.options.redisOptions, ...redisOptions },
  });
}

/** host:port for messages. */
export function describeClient(client: RedisClient): string {
  if (client instanceof Cluster) return `cluster (${client.nodes().length} nodes known)`;
  const { sentinels, name } = client.options;
  if (sentinels?.length)
    return `sentinel master ${name} via ${sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
  return `${client.options.host}:${client.options.port}`;
}
