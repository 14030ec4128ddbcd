// Cluster liveness: this node heartbeats, and watches for nodes that stopped. The one
// survivor that wins the claim on a silent node takes care of its clients (wills, clean
// sessions freed, persistent sessions adopted). Every step backs off on errors and runs
// on a timer, never in a busy loop; every error goes to `onError` (the node logs it).
import type { Backbone } from '@edgemq/backbone';
import type { Broker } from './broker.js';

export interface NodeWatchOptions {
  heartbeatMs: number;
  /** A node silent for this long is dead. */
  deadAfterMs: number;
  onAdopted?: (deadNodeId: string, sessions: number) => void;
  /** A heartbeat, a dead-node check or an adoption failed; retried at the next beat. */
  onError: (error: unknown) => void;
}

export class NodeWatch {
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly backbone: Backbone,
    private readonly broker: Broker,
    private readonly options: NodeWatchOptions,
  ) {}

  async start(): Promise<void> {
    this.running = true;
    await this.backbone.nodes.heartbeat(this.backbone.nodeId, Date.now(), this.broker.replayMarkMs());
    this.schedule();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.tick().then(
        () => this.schedule(),
        (error) => {
          this.options.onError(error);
          this.schedule();
        },
      );
    }, this.options.heartbeatMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    await this.backbone.nodes.heartbeat(this.backbone.nodeId, now, this.broker.replayMarkMs());
    const before = now - this.options.deadAfterMs;
    for (const nodeId of await this.backbone.nodes.silentSince(before)) {
      if (nodeId === this.backbone.nodeId || !this.running) continue;
      if (!(await this.backbone.nodes.claimDead(nodeId, before))) continue;
      const adopted = await this.broker.adoptDeadNode(nodeId);
      this.options.onAdopted?.(nodeId, adopted);
    }
  }
}
