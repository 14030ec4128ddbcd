// Everything the clients saw, recorded as it happens: each publish and whether it was
// acknowledged, each subscription with the time it took effect (and, for clean sessions,
// when its connection ended), each message received, each connection and DISCONNECT.
// tally.ts turns it into the scenario's figures; nothing here judges.
import type { ClientKind } from '../clients/client-kind.js';
import { type ChaosPayload, messageKey } from '../clients/payload.js';

export interface PublishRecord {
  readonly publisher: string;
  readonly seq: number;
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly sentAt: number;
  /** PUBACK / PUBCOMP with a success code. */
  ackedAt?: number;
  /** An error from the client library: a failure reason code, or the connection closed. */
  refusal?: string;
}

export interface SubscriptionSpec {
  /** What the ledger calls it; the members of one shared group share it. */
  readonly name: string;
  readonly filter: string;
  readonly qos: 1 | 2;
  /** Its session outlives connections (clean=false / session expiry); a shared group's members all do. */
  readonly persistent: boolean;
  readonly description: string;
}

/** A span in which a subscription existed: from its SUBACK to the end of its (clean) session. */
export interface Window {
  readonly from: number;
  to?: number;
}

export interface SubscriptionRecord {
  readonly spec: SubscriptionSpec;
  readonly windows: Window[];
  readonly members: Set<string>;
  /** Message key -> copies received by any member. */
  readonly copies: Map<string, number>;
  /** Subscribe attempts the broker refused (SUBACK failure code). */
  refusals: number;
}

export interface ClientRecord {
  readonly id: string;
  readonly kind: ClientKind;
  readonly role: 'publisher' | 'subscriber';
  readonly connects: { at: number; sessionPresent: boolean; port: number | undefined }[];
  readonly closes: number[];
  readonly disconnects: { at: number; reasonCode: number }[];
  /** Receipt time and send time of every message this client received. */
  readonly receipts: { at: number; sentAt: number }[];
  /** Persistent clients that reconnected and found no session (CONNACK session present = 0). */
  sessionsLost: number;
}

export interface FaultWindow {
  readonly start: number;
  readonly end: number;
}

export class Ledger {
  readonly publishes = new Map<string, PublishRecord>();
  readonly subscriptions = new Map<string, SubscriptionRecord>();
  readonly clients = new Map<string, ClientRecord>();
  /** Message key -> when the first copy reached any subscriber. */
  readonly firstSeenAt = new Map<string, number>();
  fault: FaultWindow | undefined;

  addClient(id: string, kind: ClientKind, role: ClientRecord['role']): ClientRecord {
    const record: ClientRecord = {
      id,
      kind,
      role,
      connects: [],
      closes: [],
      disconnects: [],
      receipts: [],
      sessionsLost: 0,
    };
    this.clients.set(id, record);
    return record;
  }

  client(id: string): ClientRecord {
    const record = this.clients.get(id);
    if (record === undefined) throw new Error(`ledger: unknown client ${id}`);
    return record;
  }

  published(record: PublishRecord): string {
    const key = messageKey(record.publisher, record.seq);
    this.publishes.set(key, record);
    return key;
  }

  acknowledged(key: string, at: number): void {
    const record = this.publishes.get(key);
    if (record !== undefined && record.ackedAt === undefined) record.ackedAt = at;
  }

  refused(key: string, reason: string): void {
    const record = this.publishes.get(key);
    if (record !== undefined && record.ackedAt === undefined) record.refusal = reason;
  }

  defineSubscription(spec: SubscriptionSpec): void {
    if (this.subscriptions.has(spec.name)) return;
    this.subscriptions.set(spec.name, {
      spec,
      windows: [],
      members: new Set(),
      copies: new Map(),
      refusals: 0,
    });
  }

  subscription(name: string): SubscriptionRecord {
    const record = this.subscriptions.get(name);
    if (record === undefined) throw new Error(`ledger: unknown subscription ${name}`);
    return record;
  }

  /** A SUBACK granted the subscription: a persistent one exists from its first SUBACK on. */
  subscribed(name: string, member: string, at: number): void {
    const record = this.subscription(name);
    record.members.add(member);
    if (!record.spec.persistent || record.windows.length === 0) record.windows.push({ from: at });
  }

  /** The connection of a clean session ended: its subscription ended with it. */
  cleanSessionEnded(name: string, at: number): void {
    const record = this.subscription(name);
    const open = record.windows.at(-1);
    if (!record.spec.persistent && open !== undefined && open.to === undefined) open.to = at;
  }

  received(subscription: string, clientId: string, payload: ChaosPayload, at: number): void {
    const key = messageKey(payload.publisher, payload.seq);
    const copies = this.subscription(subscription).copies;
    copies.set(key, (copies.get(key) ?? 0) + 1);
    this.client(clientId).receipts.push({ at, sentAt: payload.sentAt });
    if (!this.firstSeenAt.has(key)) this.firstSeenAt.set(key, at);
  }
}
