// Real MQTT.js clients for tests: connect with a promise, collect messages, and always
// end them (each test ends what it opened).
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface ReceivedMessage {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  dup: boolean;
}

export interface TestClient {
  readonly client: MqttClient;
  readonly messages: ReceivedMessage[];
  /** Resolves with the next `count` messages not yet taken (waits up to `timeoutMs`). */
  take(count?: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  end(force?: boolean): Promise<void>;
}

/** Connects and resolves after CONNACK; rejects on error or timeout. No auto-reconnect. */
export async function connectClient(url: string, options: IClientOptions = {}): Promise<TestClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  const messages: ReceivedMessage[] = [];
  let taken = 0;
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload, qos: packet.qos, retain: packet.retain, dup: packet.dup });
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
  client.on('error', () => undefined);
  const take = async (count = 1, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (messages.length - taken < count) {
      if (Date.now() > deadline) {
        throw new Error(`expected ${count} message(s), got ${messages.length - taken}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const out = messages.slice(taken, taken + count);
    taken += count;
    return out;
  };
  const end = (force = false) => new Promise<void>((resolve) => client.end(force, {}, () => resolve()));
  return { client, messages, take, end };
}
