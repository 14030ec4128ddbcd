// A publisher: numbered messages to its own topic at a steady rate, each recorded in the
// ledger when handed to MQTT.js and again when acknowledged (or refused). While its
// connection is down MQTT.js queues them and sends them after the reconnect.
import type { MqttClient } from 'mqtt';
import type { ClientKind } from './client-kind.js';
import { type ClientEnv, openObservedClient } from './observed-client.js';
import { encodePayload } from './payload.js';

export interface PublisherSpec {
  readonly id: string;
  readonly kind: ClientKind;
  readonly home: number;
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly ratePerSec: number;
  /** Send the next message only after the previous one was answered (retained: the last ack is the value). */
  readonly oneAtATime: boolean;
}

export class Publisher {
  readonly client: MqttClient;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private outstanding = false;

  constructor(
    private readonly env: ClientEnv,
    readonly spec: PublisherSpec,
    reconnectMs: number,
  ) {
    this.client = openObservedClient(env, { ...spec, role: 'publisher', reconnectMs });
  }

  start(): void {
    this.timer ??= setInterval(() => this.publishNext(), 1000 / this.spec.ratePerSec);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private publishNext(): void {
    if (this.spec.oneAtATime && this.outstanding) return;
    const { id, topic, qos, retain } = this.spec;
    const sentAt = Date.now();
    const seq = ++this.seq;
    const key = this.env.ledger.published({ publisher: id, seq, topic, qos, retain, sentAt });
    this.outstanding = true;
    this.client.publish(topic, encodePayload({ publisher: id, seq, sentAt }), { qos, retain }, (error) => {
      this.outstanding = false;
      if (qos === 0) return; // written to the socket, nothing more to know
      if (error) this.env.ledger.refused(key, error.message);
      else this.env.ledger.acknowledged(key, Date.now());
    });
  }
}
