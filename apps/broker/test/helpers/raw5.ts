// MQTT 5.0 on the wire for tests. `Raw5` sends hand-built packets (mqtt-packet at level 5)
// over tcp (node:net) or WebSocket (`ws`, subprotocol `mqtt`) and records every packet the
// node sends, for what MQTT.js will not do: withhold acks, break the protocol, read exact
// properties (topic aliases, reason codes). `connect5` is a real MQTT.js 5.0 client that
// keeps the whole PUBLISH packets it receives (properties included) and the CONNACK.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import mqttPacket, {
  type IConnackPacket,
  type IConnectPacket,
  type IDisconnectPacket,
  type IPublishPacket,
  type ISubackPacket,
  type ISubscribePacket,
  type ISubscription,
  type Packet,
} from 'mqtt-packet';
import WebSocket from 'ws';
import { type TestNode, type TransportName, urlFor } from './test-node.js';

export const unique = (tag: string) => `${tag}-${randomBytes(4).toString('hex')}`;

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

export interface Connect5Fields {
  clientId: string;
  clean?: boolean;
  keepalive?: number;
  properties?: IConnectPacket['properties'];
  will?: IConnectPacket['will'];
}

/** A raw MQTT 5.0 connection: exact packets out, every packet in. */
export class Raw5 {
  /** Every packet received, in order. */
  readonly received: Packet[] = [];
  /** Set when the bytes from the node did not parse at level 5. */
  parseError?: Error;
  /** Date.now() when the socket closed. */
  closedAtMs?: number;
  /** Answer PUBLISH (PUBACK / PUBREC) and PUBREL (PUBCOMP) as they arrive. */
  autoAck = false;
  private readonly taken = new Set<Packet>();
  private readonly parser = mqttPacket.parser({ protocolVersion: 5 });
  private write: (bytes: Buffer) => void = () => undefined;
  private kill: () => void = () => undefined;

  private constructor() {
    this.parser.on('packet', (p: Packet) => {
      this.received.push(p);
      if (this.autoAck) this.ack(p);
    });
    this.parser.on('error', (e: Error) => {
      this.parseError ??= e;
    });
  }

  /** Opens a socket (no MQTT sent yet). */
  static async open(node: TestNode, transport: TransportName): Promise<Raw5> {
    const raw = new Raw5();
    if (transport === 'tcp') await raw.openTcp(node);
    else await raw.openWs(node);
    return raw;
  }

  /** Opens a socket, sends CONNECT and waits for the CONNACK (whatever its reason code). */
  static async connect(
    node: TestNode,
    transport: TransportName,
    fields: Connect5Fields,
  ): Promise<{ raw: Raw5; connack: IConnackPacket }> {
    const raw = await Raw5.open(node, transport);
    raw.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: fields.clean ?? true,
      keepalive: fields.keepalive ?? 0,
      clientId: fields.clientId,
      ...(fields.properties ? { properties: fields.properties } : {}),
      ...(fields.will ? { will: fields.will } : {}),
    });
    const connack = await raw.next<IConnackPacket>('connack');
    return { raw, connack };
  }

  get closed(): boolean {
    return this.closedAtMs !== undefined;
  }

  static encode(packet: Packet): Buffer {
    return mqttPacket.generate(packet, { protocolVersion: 5 });
  }

  send(packet: Packet): void {
    this.write(Raw5.encode(packet));
  }

  /** Several packets in one write, so they reach the node together. */
  sendTogether(packets: Packet[]): void {
    this.write(Buffer.concat(packets.map((p) => Raw5.encode(p))));
  }

  sendBytes(bytes: Buffer): void {
    this.write(bytes);
  }

  /** Received packets (of `cmd`, when given) not yet taken. */
  untaken(cmd?: Packet['cmd']): Packet[] {
    return this.received.filter((p) => !this.taken.has(p) && (cmd === undefined || p.cmd === cmd));
  }

  /** The oldest received packet (of `cmd`, when given) not yet taken; waits up to `timeoutMs`. */
  async next<T extends Packet = Packet>(cmd?: Packet['cmd'], timeoutMs = 3000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [packet] = this.untaken(cmd);
      if (packet) {
        this.taken.add(packet);
        return packet as T;
      }
      if (this.parseError) throw this.parseError;
      if (Date.now() > deadline || (this.closed && cmd !== undefined)) {
        const seen = this.received.map((p) => p.cmd).join(',') || 'nothing';
        const state = this.closed ? 'closed' : 'open';
        throw new Error(`no ${cmd ?? 'packet'} within ${timeoutMs} ms (socket ${state}, received: ${seen})`);
      }
      await pause(5);
    }
  }

  /** Waits `ms`, then takes and returns every packet of `cmd` not yet taken. */
  async takeFor<T extends Packet = Packet>(cmd: Packet['cmd'], ms: number): Promise<T[]> {
    await pause(ms);
    const out = this.untaken(cmd);
    for (const p of out) this.taken.add(p);
    return out as T[];
  }

  /** Waits for the node's DISCONNECT and the close that must follow it. */
  async serverDisconnect(timeoutMs = 3000): Promise<IDisconnectPacket> {
    const packet = await this.next<IDisconnectPacket>('disconnect', timeoutMs);
    if (!(await this.waitClosed(timeoutMs))) throw new Error('DISCONNECT sent but the socket stayed open');
    return packet;
  }

  /** True once the connection is closed, false if still open after `timeoutMs`. */
  async waitClosed(timeoutMs = 3000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await pause(5);
    return this.closed;
  }

  /** Sends SUBSCRIBE and returns the SUBACK. */
  async subscribe(
    subscriptions: ISubscription[],
    properties?: ISubscribePacket['properties'],
    messageId = 1,
  ): Promise<ISubackPacket> {
    this.send({ cmd: 'subscribe', messageId, subscriptions, ...(properties ? { properties } : {}) });
    return this.next<ISubackPacket>('suback');
  }

  /** Drops the socket at once, without DISCONNECT. */
  async destroy(): Promise<void> {
    if (!this.closed) this.kill();
    await this.waitClosed(2000);
  }

  /** Sends DISCONNECT (if still open) and waits for the close. */
  async end(): Promise<void> {
    if (!this.closed) this.send({ cmd: 'disconnect', reasonCode: 0 });
    if (!(await this.waitClosed(1000))) this.kill();
    await this.waitClosed(1000);
  }

  private ack(p: Packet): void {
    if (this.closed) return;
    if (p.cmd === 'publish' && p.qos === 1) this.send({ cmd: 'puback', messageId: p.messageId });
    if (p.cmd === 'publish' && p.qos === 2) this.send({ cmd: 'pubrec', messageId: p.messageId });
    if (p.cmd === 'pubrel') this.send({ cmd: 'pubcomp', messageId: p.messageId });
  }

  private markClosed(): void {
    this.closedAtMs ??= Date.now();
  }

  private async openTcp(node: TestNode): Promise<void> {
    const socket = net.connect({ host: '127.0.0.1', port: node.ports.mqtt, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.parser.parse(chunk));
    socket.on('close', () => this.markClosed());
    this.write = (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    };
    this.kill = () => socket.destroy();
  }

  private async openWs(node: TestNode): Promise<void> {
    const ws = new WebSocket(urlFor(node, 'ws'), ['mqtt']);
    ws.binaryType = 'nodebuffer';
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => this.parser.parse(data));
    ws.on('close', () => this.markClosed());
    this.write = (bytes) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(bytes, { binary: true });
    };
    this.kill = () => ws.terminate();
  }
}

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
