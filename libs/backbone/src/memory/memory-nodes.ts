// Node liveness on a MemoryHub: heartbeats and owned-session lists in maps, each
// operation atomic because it never awaits.
import type { NodeRegistry } from '../backbone.js';
import type { MemoryHub } from './memory-hub.js';

export class MemoryNodes implements NodeRegistry {
  constructor(private readonly hub: MemoryHub) {}

  async heartbeat(nodeId: string, nowMs: number, replayFromMs?: number): Promise<void> {
    this.hub.heartbeats.set(nodeId, nowMs);
    if (replayFromMs !== undefined) this.hub.replayMarks.set(nodeId, replayFromMs);
  }

  async replayFrom(nodeId: string): Promise<number | undefined> {
    return this.hub.replayMarks.get(nodeId);
  }

  async silentSince(beforeMs: number): Promise<string[]> {
    return [...this.hub.heartbeats].filter(([, at]) => at < beforeMs).map(([id]) => id);
  }

  async claimDead(nodeId: string, beforeMs: number): Promise<boolean> {
    const at = this.hub.heartbeats.get(nodeId);
    if (at === undefined || at >= beforeMs) return false;
    this.hub.heartbeats.delete(nodeId);
    return true;
  }

  async noteOwner(nodeId: string, clientId: string): Promise<void> {
    // Only while the node owns the record: a note after another node's claim is no-op.
    if (this.hub.sessions.get(clientId)?.ownerNode !== nodeId) return;
    let owned = this.hub.owned.get(nodeId);
    if (!owned) {
      owned = new Set();
      this.hub.owned.set(nodeId, owned);
    }
    owned.add(clientId);
  }

  async owned(nodeId: string): Promise<string[]> {
    return [...(this.hub.owned.get(nodeId) ?? [])];
  }

  async forget(nodeId: string): Promise<void> {
    this.hub.heartbeats.delete(nodeId);
    this.hub.replayMarks.delete(nodeId);
    this.hub.owned.delete(nodeId);
  }
}
