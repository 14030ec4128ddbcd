// The retained topic after the run: a new client subscribes to it and must be given the
// last value whose publish was acknowledged (or a later one that was stored without its
// acknowledgement arriving). The publisher sends one at a time, so "last" is well defined.
import mqtt from 'mqtt';
import { HOST } from './clients/endpoints.js';
import { decodePayload } from './clients/payload.js';
import type { Publisher } from './clients/publisher.js';
import type { ChaosCluster } from './cluster/chaos-cluster.js';
import type { Ledger } from './ledger/ledger.js';

export interface RetainedCheck {
  readonly ok: boolean;
  /** "ok (#41)", "stale: got #12, #41 acknowledged", "missing (#41 acknowledged)", "no retained publish acknowledged". */
  readonly detail: string;
}

const WAIT_MS = 3000;

export async function checkRetained(
  cluster: ChaosCluster,
  ledger: Ledger,
  publisher: Publisher,
): Promise<RetainedCheck> {
  const acked = [...ledger.publishes.values()]
    .filter((p) => p.publisher === publisher.spec.id && p.ackedAt !== undefined)
    .map((p) => p.seq);
  if (acked.length === 0) return { ok: false, detail: 'no retained publish acknowledged' };
  const last = Math.max(...acked);
  const node = cluster.living()[0];
  if (node === undefined) return { ok: false, detail: 'no node left to ask' };
  const got = await retainedSeq(node.tcpPort, publisher.spec.topic);
  if (got === undefined) return { ok: false, detail: `missing (#${last} acknowledged)` };
  if (got < last) return { ok: false, detail: `stale: got #${got}, #${last} acknowledged` };
  return { ok: true, detail: `ok (#${got})` };
}

/** The sequence number of the retained message a fresh subscriber gets, if any within WAIT_MS. */
async function retainedSeq(port: number, topic: string): Promise<number | undefined> {
  const client = mqtt.connect({ host: HOST, port, protocol: 'mqtt', protocolVersion: 5, reconnectPeriod: 0 });
  client.on('error', () => undefined);
  try {
    return await new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), WAIT_MS);
      client.on('message', (_topic, payload, packet) => {
        if (!packet.retain) return;
        clearTimeout(timer);
        resolve(decodePayload(payload)?.seq);
      });
      client.on('connect', () => client.subscribe(topic, { qos: 1 }));
    });
  } finally {
    await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }
}
