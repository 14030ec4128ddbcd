// A subscriber: subscribes when its session has no subscription (first connect, every
// clean connect, or a persistent session the broker lost), and records every message it
// receives under its ledger subscription (shared by the members of a shared group).
import type { MqttClient } from 'mqtt';
import type { SubscriptionSpec } from '../ledger/ledger.js';
import type { ClientKind } from './client-kind.js';
import { type ClientEnv, type ObservedClientOptions, openObservedClient } from './observed-client.js';
import { decodePayload } from './payload.js';

export interface SubscriberSpec {
  readonly id: string;
  readonly kind: ClientKind;
  readonly home: number;
  /** The filter as subscribed (`$share/g/...` for a group member). */
  readonly subscription: SubscriptionSpec;
  readonly streamBuilder?: ObservedClientOptions['streamBuilder'];
}

export class Subscriber {
  readonly client: MqttClient;
  private grantedOnce = false;

  constructor(
    env: ClientEnv,
    readonly spec: SubscriberSpec,
    reconnectMs: number,
  ) {
    const { ledger } = env;
    const { name, filter, qos, persistent } = spec.subscription;
    ledger.defineSubscription(spec.subscription);
    this.client = openObservedClient(env, { ...spec, role: 'subscriber', reconnectMs });
    this.client.on('message', (_topic, payload) => {
      const decoded = decodePayload(payload);
      if (decoded !== undefined) ledger.received(name, spec.id, decoded, Date.now());
    });
    this.client.on('connect', (connack) => {
      if (persistent && connack.sessionPresent === true) return;
      this.client.subscribe(filter, { qos }, (error, granted) => {
        if (error !== null && error !== undefined) return; // the connection went first: next connect retries
        const code = granted?.[0]?.qos ?? 0x80;
        if (code >= 0x80) ledger.subscription(name).refusals++;
        else {
          this.grantedOnce = true;
          ledger.subscribed(name, spec.id, Date.now());
        }
      });
    });
    this.client.on('close', () => ledger.cleanSessionEnded(name, Date.now()));
  }

  /** True once this client's own SUBACK granted its subscription. */
  get subscribed(): boolean {
    return this.grantedOnce;
  }
}
