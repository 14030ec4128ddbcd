// Node-to-node requests over Redis pub/sub: each node listens on its own channel
// `<prefix>:node:<nodeId>` (one subscriber connection); a request carries an id and the
// sender's node id, and the answer comes back on the sender's channel. PUBLISH reaching
// nobody means no such node is listening: the request is done.
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import type { ControlChannel, ControlCommand, ControlHandler } from '../backbone.js';
import { duplicateClient, type RedisClient as Redis } from './client.js';
import type { RedisKeys } from './keys.js';

interface Envelope {
  id: string;
  from: string;
  command?: ControlCommand;
  /** Set on answers. */
  done?: boolean;
  error?: string;
}

export class RedisControl implements ControlChannel {
  private subscriber?: Redis;
  private handler?: ControlHandler;
  private readonly waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  /** Cluster-wide announcement channels this node listens to, with their handlers. */
  private readonly broadcasts = new Map<string, Array<(text: string) => void>>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
  ) {}

  async start(): Promise<void> {
    const subscriber = duplicateClient(this.redis, { lazyConnect: true });
    subscriber.on('error', () => {});
    const own = this.keys.node(this.nodeId);
    subscriber.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
      const name = channel.toString();
      if (name === own) this.receive(payload.toString());
      else for (const handler of this.broadcasts.get(name) ?? []) handler(payload.toString());
    });
    await subscriber.connect();
    await subscriber.subscribe(own, ...this.broadcasts.keys());
    this.subscriber = subscriber;
  }

  async stop(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    for (const { reject } of this.waiting.values()) reject(new Error('control channel stopped'));
    this.waiting.clear();
  }

  async request(nodeId: string, command: ControlCommand, timeoutMs: number): Promise<boolean> {
    const id = randomBytes(8).toString('hex');
    const envelope: Envelope = { id, from: this.nodeId, command };
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      timer = setTimeout(() => reject(new Error(`node ${nodeId} did not answer ${command.type}`)), timeoutMs);
      timer.unref();
    });
    // The answer can come while PUBLISH's own reply is still awaited (Redis Cluster delivers
    // the message before answering the PUBLISH): mark it handled now, it is awaited below.
    answered.catch(() => undefined);
    try {
      const receivers = await this.redis.publish(this.keys.node(nodeId), JSON.stringify(envelope));
      if (receivers === 0 && !(await this.mayBeListening(nodeId))) return false;
      await answered;
      return true;
    } finally {
      clearTimeout(timer);
      this.waiting.delete(id);
    }
  }

  /**
   * PUBLISH counts subscribers, but on Redis Cluster only those on the node that took the
   * PUBLISH (messages still reach every node). There, a count of 0 means "nobody" only
   * when the node has no heartbeat either.
   */
  private async mayBeListening(nodeId: string): Promise<boolean> {
    if (!(this.redis instanceof Cluster)) return false;
    return (await this.redis.zscore(this.keys.nodes(), nodeId)) !== null;
  }

  onRequest(handler: ControlHandler): void {
    this.handler = handler;
  }

  /** Calls `handler` with every message PUBLISHed on `channel` while this node runs. */
  onBroadcast(channel: string, handler: (text: string) => void): void {
    const handlers = this.broadcasts.get(channel);
    if (handlers) {
      handlers.push(handler);
      return;
    }
    this.broadcasts.set(channel, [handler]);
    // Not lost if this fails: ioredis subscribes every channel again when the subscriber
    // reconnects (autoResubscribe), and a failure here means that connection is down.
    this.subscriber?.subscribe(channel).catch(() => undefined);
  }

  private receive(raw: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(raw) as Envelope;
    } catch {
      return;
    }
    if (envelope.done) {
      const waiter = this.waiting.get(envelope.id);
      if (!waiter) return;
      if (envelope.error) waiter.reject(new Error(envelope.error));
      else waiter.resolve();
      return;
    }
    if (!envelope.command || !this.handler) return;
    // An answer that cannot be sent is the asker's bounded wait running out: it then
    // proceeds as for a node that does not answer (see Broker's remote takeover).
    const answer = (error?: string) =>
      this.redis
        .publish(
          this.keys.node(envelope.from),
          JSON.stringify({ id: envelope.id, from: this.nodeId, done: true, error }),
        )
        .catch(() => undefined);
    this.handler(envelope.command, envelope.from).then(
      () => answer(),
      (error: unknown) => answer(String(error)),
    );
  }
}
