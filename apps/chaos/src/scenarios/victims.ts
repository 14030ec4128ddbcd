// Choosing the node a fault hits, and who was connected to it when it did.
import type { ChaosNode } from '../cluster/chaos-cluster.js';
import type { ClientRecord } from '../ledger/ledger.js';
import { pickIndex } from '../random.js';
import type { ScenarioContext } from '../scenario.js';

export function pickVictim(ctx: ScenarioContext): ChaosNode {
  const living = ctx.cluster.living();
  return living[pickIndex(ctx.random, living.length)];
}

/** Clients whose current connection (connected, not closed since) goes to `node`. */
export function clientsConnectedTo(ctx: ScenarioContext, node: ChaosNode): ClientRecord[] {
  return [...ctx.ledger.clients.values()].filter((c) => {
    const last = c.connects.at(-1);
    if (last === undefined || (last.port !== node.tcpPort && last.port !== node.httpPort)) return false;
    return (c.closes.at(-1) ?? 0) < last.at;
  });
}

/** Sends `signal` to the node's process and waits until it exited. */
export async function signalNode(node: ChaosNode, signal: NodeJS.Signals): Promise<void> {
  const child = node.spawned.process;
  if (!node.alive()) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

/** "4 clients on it: pub-1, sub-3, g-2, retained". */
export function describeClientsOn(clients: readonly ClientRecord[]): string {
  return `${clients.length} clients on it: ${clients.map((c) => c.id).join(', ')}`;
}
