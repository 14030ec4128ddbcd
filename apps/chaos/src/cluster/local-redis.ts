// The cluster's one Redis as a local redis-server process this suite controls by pid: it
// can be frozen (SIGSTOP: the port stays open, nothing answers, the data is kept) and
// thawed, or killed with SIGKILL and started again on the same port without its data
// (the testkit starts it without persistence). The testkit's RedisServer hides the child
// process, so this builds on its launch/terminate helpers instead.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, launch, redisServerBinary, terminate } from '@edgemq/testkit';

export class LocalRedis {
  private frozen = false;

  private constructor(
    private readonly binary: string,
    readonly port: number,
    private readonly dir: string,
    private child: ChildProcess | undefined,
  ) {}

  static async start(): Promise<LocalRedis> {
    const binary = redisServerBinary();
    if (binary === undefined) throw new Error('redis-server not found (apt-get install redis-server)');
    const dir = await mkdtemp(join(tmpdir(), 'edgemq-chaos-redis-'));
    // A free port can be taken between probing and binding: try a few.
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      try {
        return new LocalRedis(binary, port, dir, await launch(binary, port, dir));
      } catch (error) {
        if (attempt >= 2) {
          await rm(dir, { recursive: true, force: true });
          throw error;
        }
      }
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** SIGSTOP: connections stay open but nothing is answered until thaw(). */
  freeze(): void {
    this.child?.kill('SIGSTOP');
    this.frozen = true;
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
    this.frozen = false;
  }

  /** SIGKILL, then a new redis-server on the same port: everything stored is gone. */
  async killAndRestartEmpty(): Promise<void> {
    const child = this.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    }
    this.frozen = false;
    this.child = await launch(this.binary, this.port, this.dir);
  }

  /** Stops the server (thawing it first, so SIGTERM is heard) and removes its directory. */
  async stop(): Promise<void> {
    if (this.frozen) this.thaw();
    const child = this.child;
    this.child = undefined;
    if (child !== undefined) await terminate(child);
    await rm(this.dir, { recursive: true, force: true });
  }
}
