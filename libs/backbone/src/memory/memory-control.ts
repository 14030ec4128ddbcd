// Node-to-node requests on a MemoryHub: a direct call of the addressed node's handler,
// bounded by the caller's timeout, as the Redis pub/sub channel is.
import type { ControlChannel, ControlCommand, ControlHandler } from '../backbone.js';
import type { MemoryHub } from './memory-hub.js';

export class MemoryControl implements ControlChannel {
  constructor(
    private readonly hub: MemoryHub,
    private readonly nodeId: string,
  ) {}

  async request(nodeId: string, command: ControlCommand, timeoutMs: number): Promise<boolean> {
    const handler = this.hub.controlHandlers.get(nodeId);
    if (!handler) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`node ${nodeId} did not answer ${command.type}`)), timeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([handler(command, this.nodeId), timeout]);
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  onRequest(handler: ControlHandler): void {
    this.hub.controlHandlers.set(this.nodeId, handler);
  }

  /** The node left the hub: nobody answers for it any more. */
  leave(): void {
    this.hub.controlHandlers.delete(this.nodeId);
  }
}
