// How long until every client was served again after a fault: from the moment the fault
// was lifted (the node killed, Redis thawed or restarted, the slow reader back to speed)
// until each client had what shows it works again, the latest of them:
// - a subscriber received a message sent after the fault began;
// - a publisher had a message sent after the fault began acknowledged (QoS 1/2), or
//   seen by any subscriber (QoS 0).
import type { ClientRecord, FaultWindow, Ledger } from './ledger.js';

export interface Recovery {
  /** Milliseconds from the fault's end until the last client was served; undefined if one never was. */
  readonly ms: number | undefined;
  /** Clients never served again before the run ended. */
  readonly unserved: string[];
}

export function recovery(ledger: Ledger, clientIds?: ReadonlySet<string>): Recovery {
  const fault = ledger.fault;
  if (fault === undefined) return { ms: undefined, unserved: [] };
  const publisherServedAt = publisherServedTimes(ledger, fault);
  let latest = fault.end;
  const unserved: string[] = [];
  for (const client of ledger.clients.values()) {
    if (clientIds !== undefined && !clientIds.has(client.id)) continue;
    const at =
      client.role === 'publisher' ? publisherServedAt.get(client.id) : subscriberServedAt(client, fault);
    if (at === undefined) unserved.push(client.id);
    else latest = Math.max(latest, at);
  }
  return { ms: unserved.length > 0 ? undefined : latest - fault.end, unserved };
}

function subscriberServedAt(client: ClientRecord, fault: FaultWindow): number | undefined {
  let best: number | undefined;
  for (const r of client.receipts) {
    if (r.sentAt >= fault.start && r.at >= fault.end && (best === undefined || r.at < best)) best = r.at;
  }
  return best;
}

function publisherServedTimes(ledger: Ledger, fault: FaultWindow): Map<string, number> {
  const served = new Map<string, number>();
  const consider = (publisher: string, at: number | undefined) => {
    if (at === undefined || at < fault.end) return;
    const known = served.get(publisher);
    if (known === undefined || at < known) served.set(publisher, at);
  };
  for (const [key, p] of ledger.publishes) {
    if (p.sentAt < fault.start) continue;
    if (p.qos > 0) consider(p.publisher, p.ackedAt);
    else consider(p.publisher, ledger.firstSeenAt.get(key));
  }
  return served;
}
