// An MQTT.js client whose connection life goes into the ledger: each CONNACK (with
// session present and the node it reached), each close, each DISCONNECT from the server.
// It reconnects by itself (MQTT.js), walking the node list from its home node on.
import mqtt, { type IClientOptions, MqttClient } from 'mqtt';
import type { ChaosCluster } from '../cluster/chaos-cluster.js';
import type { ClientRecord, Ledger } from '../ledger/ledger.js';
import { type ClientKind, sessionOptions } from './client-kind.js';
import { serverList } from './endpoints.js';

export interface ObservedClientOptions {
  readonly id: string;
  readonly kind: ClientKind;
  readonly role: ClientRecord['role'];
  /** Index of the node it connects to first. */
  readonly home: number;
  /** Pause between a lost connection and the next attempt. */
  readonly reconnectMs: number;
  /** Builds the byte stream of each connection attempt instead of MQTT.js's own (slow reader). */
  readonly streamBuilder?: (client: MqttClient) => NodeJS.ReadWriteStream;
}

export interface ClientEnv {
  readonly ledger: Ledger;
  readonly cluster: ChaosCluster;
}

/** Seconds without traffic before either side pings: short, so a half-open socket is noticed. */
const KEEPALIVE_SEC = 10;
const CONNECT_TIMEOUT_MS = 4000;

export function openObservedClient(env: ClientEnv, options: ObservedClientOptions): MqttClient {
  const record = env.ledger.addClient(options.id, options.kind, options.role);
  const servers = serverList(env.cluster, options.home, options.kind.transport);
  const first = servers.servers?.[0];
  const mqttOptions: IClientOptions = {
    clientId: options.id,
    keepalive: KEEPALIVE_SEC,
    reconnectPeriod: options.reconnectMs,
    connectTimeout: CONNECT_TIMEOUT_MS,
    resubscribe: false, // subscribers subscribe again themselves when a session is gone
    ...sessionOptions(options.kind),
    ...servers,
    host: first?.host,
    port: first?.port,
    protocol: first?.protocol,
  };
  const client =
    options.streamBuilder === undefined
      ? mqtt.connect(mqttOptions)
      : new MqttClient(options.streamBuilder as never, mqttOptions);
  client.on('connect', (connack) => {
    const sessionPresent = connack.sessionPresent === true;
    if (options.kind.persistent && record.connects.length > 0 && !sessionPresent) record.sessionsLost++;
    record.connects.push({ at: Date.now(), sessionPresent, port: client.options.port });
  });
  client.on('close', () => record.closes.push(Date.now()));
  client.on('disconnect', (packet) =>
    record.disconnects.push({ at: Date.now(), reasonCode: packet.reasonCode ?? 0 }),
  );
  client.on('error', () => undefined); // a refused or reset connection: MQTT.js tries again
  return client;
}

/** Resolves once the client is connected; rejects after `timeoutMs`. */
export function whenConnected(client: MqttClient, timeoutMs: number): Promise<void> {
  if (client.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('connect', onConnect);
      reject(new Error(`client ${client.options.clientId} not connected within ${timeoutMs} ms`));
    }, timeoutMs);
    const onConnect = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('connect', onConnect);
  });
}

/**
 * Ends the client: at once by default (nothing held back for unacknowledged publishes), or
 * gracefully (`force` false: in-flight exchanges finish, then DISCONNECT).
 */
export const endClient = (client: MqttClient, force = true): Promise<void> =>
  new Promise((resolve) => client.end(force, {}, () => resolve()));
