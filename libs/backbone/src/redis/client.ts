// The Redis connection a backbone uses: a single server (or a Sentinel-managed one, which
// ioredis hides behind the same Redis class) or a Redis Cluster. Every key the backbone
// touches in one command or script shares a slot (keys.ts), so both behave the same.
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  /** `redis://host:port` for one server; for a cluster, any node(s): `redis://h1:p1,h2:p2`. */
  url: string;
  mode?: 'standalone' | 'cluster';
}

export function createRedisClient(target: RedisTarget, options: RedisOptions): RedisClient {
  if (target.mode !== 'cluster') return new Redis(target.url, options);
  const url = new URL(target.url.split(',')[0]);
  const seeds = target.url
    .replace(/^rediss?:\/\/([^@]*@)?/, '')
    .split(',')
    .map((hostPort) => {
      const [host, port] = hostPort.replace(/\/.*$/, '').split(':');
      return { host, port: Number(port || 6379) };
    });
  const { lazyConnect, maxRetriesPerRequest, ...rest } = options;
  return new Cluster(seeds, {
    lazyConnect,
    redisOptions: {
      ...rest,
      maxRetriesPerRequest,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    },
  });
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
  return `${client.options.host}:${client.options.port}`;
}
