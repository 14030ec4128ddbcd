// MQTT 5.0 conveniences for wire tests: the reason codes the tests assert on, and
// `connect5`, a real MQTT.js 5.0 client that keeps the whole PUBLISH packets it receives
// (properties included) and the CONNACK. Raw 5.0 packets go through ./raw-client.ts.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { IConnackPacket, IDisconnectPacket, IPublishPacket } from 'mqtt-packet';

/** MQTT 5.0 reason codes the tests assert on (§2.4). */
export const RC = {
  success: 0x00,
  disconnectWithWill: 0x04,
  noMatchingSubscribers: 0x10,
  noSubscriptionExisted: 0x11,
  protocolError: 0x82,
  badAuthenticationMethod: 0x8c,
  keepAliveTimeout: 0x8d,
  sessionTakenOver: 0x8e,
  topicFilterInvalid: 0x8f,
  receiveMaximumExceeded: 0x93,
  topicAliasInvalid: 0x94,
  packetTooLarge: 0x95,
  payloadFormatInvalid: 0x99,
  sharedSubscriptionsNotSupported: 0x9e,
  subscriptionIdentifiersNotSupported: 0xa1,
  wildcardSubscriptionsNotSupported: 0xa2,
} as const;

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A real MQTT.js 5.0 client that keeps whole packets. */
export interface Client5 {
  readonly client: MqttClient;
  readonly connack: IConnackPacket;
  /** Every PUBLISH received (topic aliases already resolved by MQTT.js), in order. */
  readonly messages: IPublishPacket[];
  /** DISCONNECT packets the node sent. */
  readonly disconnects: IDisconnectPacket[];
  /** True once the connection closed. */
  readonly closed: boolean;
  /** Resolves with the next `count` messages not yet taken (waits up to `timeoutMs`). */
  take(count?: number, timeoutMs?: number): Promise<IPublishPacket[]>;
  /** Payloads of every message received, as text. */
  payloads(): string[];
  end(
    force?: boolean,
    disconnect?: { reasonCode?: number; properties?: IDisconnectPacket['properties'] },
  ): Promise<void>;
}

/**
 * Connects MQTT.js at protocol level 5 and resolves after CONNACK. Listeners are attached
 * before the CONNACK, so messages a resumed session delivers right behind it are kept.
 */
export async function connect5(url: string, options: IClientOptions = {}): Promise<Client5> {
  const client = mqtt.connect(url, {
    reconnectPeriod: 0,
    connectTimeout: 5000,
    protocolVersion: 5,
    ...options,
  });
  const messages: IPublishPacket[] = [];
  const disconnects: IDisconnectPacket[] = [];
  let closed = false;
  let taken = 0;
  // MQTT.js resolves a topic alias into the event's topic but leaves packet.topic empty.
  client.on('message', (topic, _payload, packet) => messages.push({ ...packet, topic }));
  client.on('disconnect', (packet) => disconnects.push(packet));
  client.on('close', () => {
    closed = true;
  });
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once('connect', (packet) => resolve(packet));
    client.once('error', reject);
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
  client.on('error', () => undefined);
  return {
    client,
    connack,
    messages,
    disconnects,
    get closed() {
      return closed;
    },
    async take(count = 1, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length - taken < count) {
        if (Date.now() > deadline) {
          throw new Error(`expected ${count} message(s), got ${messages.length - taken}`);
        }
        await pause(10);
      }
      const out = messages.slice(taken, taken + count);
      taken += count;
      return out;
    },
    payloads: () => messages.map((m) => m.payload.toString()),
    end: (force = false, disconnect = {}) =>
      new Promise<void>((resolve) => {
        if (closed) {
          client.end(true);
          resolve();
        } else client.end(force, disconnect, () => resolve());
      }),
  };
}

/** Ends every client given (MQTT.js or raw), each with its own end(). */
export const endAll = (...clients: Array<{ end(): Promise<void> }>) =>
  Promise.all(clients.map((c) => c.end()));
