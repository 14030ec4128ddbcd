// Shared-subscription membership per node on a MemoryHub.
import type { SharedRegistry } from '../backbone.js';
import type { MemoryHub } from './memory-hub.js';

export class MemoryShared implements SharedRegistry {
  constructor(private readonly hub: MemoryHub) {}

  async setMember(key: string, nodeId: string, member: boolean): Promise<void> {
    let nodes = this.hub.sharedGroups.get(key);
    if (member) {
      if (!nodes) {
        nodes = new Set();
        this.hub.sharedGroups.set(key, nodes);
      }
      nodes.add(nodeId);
    } else {
      nodes?.delete(nodeId);
      if (nodes?.size === 0) this.hub.sharedGroups.delete(key);
    }
    for (const watcher of this.hub.sharedWatchers) queueMicrotask(() => watcher(key));
  }

  onChange(handler: (key: string) => void): void {
    this.hub.sharedWatchers.add(handler);
  }

  async memberNodes(key: string): Promise<string[]> {
    return [...(this.hub.sharedGroups.get(key) ?? [])].sort();
  }

  async forgetNode(nodeId: string): Promise<void> {
    for (const key of [...this.hub.sharedGroups.keys()]) await this.setMember(key, nodeId, false);
  }
}
