// The raw MQTT client for wire tests, at MQTT 3.1 (3), 3.1.1 (4) and 5.0 (5), over tcp
// (node:net) or WebSocket (`ws`, subprotocol `mqtt`). It does what MQTT.js will not:
// hand-built CONNECTs (odd protocol names and levels, reserved flags, empty client ids, bytes
// that are not UTF-8), exact packet ids, acks withheld or sent twice, malformed bytes, a
// paused reader. Packets go out and come in through mqtt-packet at the connection's level;
// every packet received is kept, and decode errors are recorded (a test should expect none).
import net from 'node:net';
import mqttPacket, {
  type IConnackPacket,
  type IConnectPacket,
  type IDisconnectPacket,
  type ISubackPacket,
  type ISubscribePacket,
  type ISubscription,
  type Packet,
  type QoS,
} from 'mqtt-packet';
import WebSocket from 'ws';
import type { TestNode, TransportName } from './test-node.js';

/** MQTT 3.1 (`MQIsdp`), 3.1.1 or 5.0: the protocol level byte of CONNECT. */
export type MqttLevel = 3 | 4 | 5;

/** The packet mqtt-packet decodes for `cmd`. */
export type PacketOf<C extends Packet['cmd']> = Extract<Packet, { cmd: C }>;

/** What `rawConnect` and `RawClient.connect` send. */
export interface ConnectFields {
  clientId: string;
  /** Clean session (3.1.1) / Clean Start (5.0); default true. */
  clean?: boolean;
  keepalive?: number;
  will?: {
    topic: string;
    payload: string | Buffer;
    qos?: QoS;
    retain?: boolean;
    /** 5.0 only. */
    properties?: NonNullable<IConnectPacket['will']>['properties'];
  };
  /** 5.0 only: the CONNECT properties. */
  properties?: IConnectPacket['properties'];
  /** 3.1 / 3.1.1 only: OR-ed into the connect flags byte (e.g. 0x01, the reserved bit). */
  extraFlags?: number;
}

interface Link {
  write(bytes: Buffer): void;
  writeAndWait(bytes: Buffer): Promise<void>;
  writeText(text: string): void;
  pause(): void;
  resume(): void;
  destroy(): void;
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class RawClient {
  /** Every packet received, in order. */
  readonly received: Packet[] = [];
  /** Errors decoding what the node sent (a malformed packet from the node). */
  readonly decodeErrors: Error[] = [];
  /** Date.now() when the socket was opened, and when it closed. */
  readonly openedAtMs = Date.now();
  closedAtMs?: number;
  /** The WebSocket close code; undefined over tcp. */
  closeCode?: number;
  /** Answer PUBLISH (PUBACK / PUBREC) and PUBREL (PUBCOMP) as they arrive. */
  autoAck = false;
  private readonly taken = new Set<Packet>();
  private readonly parser;
  private link?: Link;

  private constructor(readonly level: MqttLevel) {
    this.parser = mqttPacket.parser({ protocolVersion: level });
    this.parser.on('packet', (p: Packet) => {
      this.received.push(p);
      if (this.autoAck) this.ack(p);
    });
    this.parser.on('error', (e: Error) => this.decodeErrors.push(e));
  }

  /** Opens a socket to the node (no MQTT sent yet); packets are read and written at `level`. */
  static open(node: TestNode, transport: TransportName, level: MqttLevel = 4): Promise<RawClient> {
    return RawClient.openUrl(transport === 'ws' ? node.wsUrl : node.tcpUrl, level);
  }

  /** Opens a socket to `mqtt://host:port` (tcp) or `ws://host:port/path` (WebSocket, subprotocol `mqtt`). */
  static async openUrl(url: string, level: MqttLevel = 4): Promise<RawClient> {
    const raw = new RawClient(level);
    const { protocol, hostname, port } = new URL(url);
    raw.link =
      protocol === 'mqtt:'
        ? await raw.openTcp(hostname.replace(/^\[(.*)\]$/, '$1'), Number(port))
        : await raw.openWs(url);
    return raw;
  }

  get closed(): boolean {
    return this.closedAtMs !== undefined;
  }

  encode(packet: Packet): Buffer {
    return mqttPacket.generate(packet, { protocolVersion: this.level });
  }

  send(packet: Packet): void {
    this.sendBytes(this.encode(packet));
  }

  /** Several packets in one write, so they reach the node together. */
  sendTogether(packets: Packet[]): void {
    this.sendBytes(Buffer.concat(packets.map((p) => this.encode(p))));
  }

  sendBytes(bytes: Buffer): void {
    this.link!.write(bytes);
  }

  /**
   * Sends each chunk as its own write (over WebSocket: its own binary message), waiting for
   * each to be handed to the socket, and `pauseMs` between them.
   */
  async sendFrames(chunks: Buffer[], pauseMs = 0): Promise<void> {
    for (const chunk of chunks) {
      await this.link!.writeAndWait(chunk);
      if (pauseMs > 0) await pause(pauseMs);
    }
  }

  /** A WebSocket text frame (WebSocket only). */
  sendText(text: string): void {
    this.link!.writeText(text);
  }

  /** Stops reading from the socket (the node's writes back up); resume() reads again. */
  pause(): void {
    this.link!.pause();
  }

  resume(): void {
    this.link!.resume();
  }

  /** Received packets (of `cmd`, when given) not yet taken by next / expect / takeFor. */
  untaken(): Packet[];
  untaken<C extends Packet['cmd']>(cmd: C): PacketOf<C>[];
  untaken(cmd?: Packet['cmd']): Packet[] {
    return this.received.filter((p) => !this.taken.has(p) && (cmd === undefined || p.cmd === cmd));
  }

  /**
   * Takes the oldest packet (of `cmd`, when given) not yet taken, waiting up to `timeoutMs`.
   * Fails at once if the node sent bytes that did not decode, or closed the socket first.
   */
  next(): Promise<Packet>;
  next<C extends Packet['cmd']>(cmd: C, timeoutMs?: number): Promise<PacketOf<C>>;
  next(cmd?: Packet['cmd'], timeoutMs = 5000): Promise<Packet> {
    return this.take(cmd, timeoutMs);
  }

  /** Takes the oldest packet not yet taken, which must be a `cmd` (nothing else before it). */
  async expect<C extends Packet['cmd']>(cmd: C, timeoutMs = 5000): Promise<PacketOf<C>> {
    const packet = await this.take(undefined, timeoutMs);
    if (packet.cmd !== cmd) throw new Error(`expected ${cmd}, got ${JSON.stringify(describePacket(packet))}`);
    return packet as PacketOf<C>;
  }

  /** Waits `ms` (to let what should not come arrive), then takes every packet (of `cmd`) not yet taken. */
  takeFor(ms: number): Promise<Packet[]>;
  takeFor<C extends Packet['cmd']>(ms: number, cmd: C): Promise<PacketOf<C>[]>;
  async takeFor(ms: number, cmd?: Packet['cmd']): Promise<Packet[]> {
    await pause(ms);
    const out = cmd === undefined ? this.untaken() : this.untaken(cmd);
    for (const p of out) this.taken.add(p);
    return out;
  }

  /** True once the socket is closed, false if it is still open after `timeoutMs`. */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await pause(5);
    return this.closed;
  }

  /** 5.0: waits for the node's DISCONNECT and the close that must follow it. */
  async serverDisconnect(timeoutMs = 5000): Promise<IDisconnectPacket> {
    const packet = await this.next('disconnect', timeoutMs);
    if (!(await this.waitClosed(timeoutMs))) throw new Error('DISCONNECT sent but the socket stayed open');
    return packet;
  }

  /** Sends CONNECT at this client's level and returns the CONNACK (whatever its code). */
  async connect(fields: ConnectFields): Promise<IConnackPacket> {
    if (this.level === 5) {
      const { will } = fields;
      this.send({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 5,
        clean: fields.clean ?? true,
        keepalive: fields.keepalive ?? 0,
        clientId: fields.clientId,
        ...(fields.properties ? { properties: fields.properties } : {}),
        ...(will ? { will: { ...will, qos: will.qos ?? 0, retain: will.retain ?? false } } : {}),
      });
    } else {
      // Built by hand: mqtt-packet refuses some CONNECTs the tests need (an empty client id).
      const { clientId, clean, keepalive, will, extraFlags } = fields;
      const will4 = will && { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain };
      this.sendBytes(
        connectBytes({ level: this.level, clientId, clean, keepalive, will: will4, extraFlags }),
      );
    }
    return this.expect('connack');
  }

  /** Sends SUBSCRIBE (packet id 1 unless given) and returns the SUBACK, which must come next. */
  async subscribe(
    subscriptions: ISubscription[],
    options: { messageId?: number; properties?: ISubscribePacket['properties'] } = {},
  ): Promise<ISubackPacket> {
    const { messageId = 1, properties } = options;
    this.send({ cmd: 'subscribe', messageId, subscriptions, ...(properties ? { properties } : {}) });
    return this.expect('suback');
  }

  /** Drops the socket at once, without DISCONNECT, and waits for it to be gone. */
  async destroy(): Promise<void> {
    if (!this.closed) this.link!.destroy();
    if (!(await this.waitClosed(5000))) throw new Error('raw socket still open after destroy');
  }

  /** Sends DISCONNECT (if still open) and waits for the close. */
  async end(): Promise<void> {
    if (!this.closed)
      this.send(this.level === 5 ? { cmd: 'disconnect', reasonCode: 0 } : { cmd: 'disconnect' });
    if (!(await this.waitClosed(1000))) this.link!.destroy();
    await this.waitClosed(1000);
  }

  private async take(cmd: Packet['cmd'] | undefined, timeoutMs: number): Promise<Packet> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [packet] = cmd === undefined ? this.untaken() : this.untaken(cmd);
      if (packet) {
        this.taken.add(packet);
        return packet;
      }
      if (this.decodeErrors.length > 0) throw this.decodeErrors[0];
      if (this.closed || Date.now() > deadline) {
        const seen = this.received.map((p) => p.cmd).join(',') || 'nothing';
        const state = this.closed ? 'closed' : 'open';
        throw new Error(`no ${cmd ?? 'packet'} within ${timeoutMs} ms (socket ${state}, received: ${seen})`);
      }
      await pause(5);
    }
  }

  private ack(p: Packet): void {
    if (this.closed) return;
    if (p.cmd === 'publish' && p.qos === 1) this.send({ cmd: 'puback', messageId: p.messageId });
    if (p.cmd === 'publish' && p.qos === 2) this.send({ cmd: 'pubrec', messageId: p.messageId });
    if (p.cmd === 'pubrel') this.send({ cmd: 'pubcomp', messageId: p.messageId });
  }

  private markClosed(code?: number): void {
    if (this.closed) return;
    this.closedAtMs = Date.now();
    this.closeCode = code;
  }

  private async openTcp(host: string, port: number): Promise<Link> {
    const socket = net.connect({ host, port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.parser.parse(chunk));
    socket.on('close', () => this.markClosed());
    return {
      write: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      writeAndWait: (bytes) =>
        new Promise<void>((resolve, reject) => socket.write(bytes, (err) => (err ? reject(err) : resolve()))),
      writeText: () => {
        throw new Error('text frames exist only over WebSocket');
      },
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      destroy: () => socket.destroy(),
    };
  }

  private async openWs(url: string): Promise<Link> {
    const ws = new WebSocket(url, ['mqtt']);
    ws.binaryType = 'nodebuffer';
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => this.parser.parse(data));
    ws.on('close', (code: number) => this.markClosed(code));
    return {
      write: (bytes) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(bytes, { binary: true });
      },
      writeAndWait: (bytes) =>
        new Promise<void>((resolve, reject) =>
          ws.send(bytes, { binary: true }, (err) => (err ? reject(err) : resolve())),
        ),
      writeText: (text) => ws.send(text, { binary: false }),
      pause: () => ws.pause(),
      resume: () => ws.resume(),
      destroy: () => ws.terminate(),
    };
  }
}

/** Opens a raw client at `level`, sends CONNECT and waits for the CONNACK (whatever its code). */
export async function rawConnect(
  node: TestNode,
  transport: TransportName,
  level: MqttLevel,
  fields: ConnectFields,
): Promise<{ raw: RawClient; connack: IConnackPacket }> {
  const raw = await RawClient.open(node, transport, level);
  const connack = await raw.connect(fields);
  return { raw, connack };
}

/** A packet without its payload bytes, for error messages. */
export function describePacket(p: Packet): object {
  const { payload: _payload, ...rest } = p as Packet & { payload?: unknown };
  return rest;
}

// --- Packets built byte by byte, for what mqtt-packet will not encode ---

/** A string or any bytes (not necessarily UTF-8) where MQTT puts a UTF-8 string. */
type Text = string | Buffer;

export interface ConnectBytesFields {
  /** 3, 4 or 5 here, or any other byte (a refused level). */
  level: number;
  /** Defaults: 'MQIsdp' at level 3, else 'MQTT'. */
  protocolId?: string;
  clientId: Text;
  /** Default true. */
  clean?: boolean;
  keepalive?: number;
  will?: { topic: Text; payload: Text; qos?: QoS; retain?: boolean; properties?: Buffer };
  username?: Text;
  /** Level 5: the CONNECT property bytes (without their length); an empty section when absent. */
  properties?: Buffer;
  /** OR-ed into the connect flags byte (e.g. 0x01, the reserved bit). */
  extraFlags?: number;
}

/** A variable byte integer (§1.5.5): the remaining length, a property section's length. */
export function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

/** Two length bytes, then the bytes: how MQTT writes a UTF-8 string or binary data. */
export function lengthPrefixed(s: Text): Buffer {
  const body = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([body.length >> 8, body.length & 0xff]), body]);
}

/** A 5.0 property section: its length (a variable byte integer), then the properties. */
export function propertySection(props: Buffer): Buffer {
  return Buffer.concat([remainingLength(props.length), props]);
}

/**
 * A CONNECT built by hand, so it can carry what mqtt-packet refuses to encode: any protocol
 * name and level, reserved flag bits, an empty client id at 3.1 or with clean session 0,
 * strings that are not well-formed UTF-8.
 */
export function connectBytes(f: ConnectBytesFields): Buffer {
  const v5 = f.level === 5;
  const protocolId = f.protocolId ?? (f.level === 3 ? 'MQIsdp' : 'MQTT');
  let flags = f.clean === false ? 0 : 0x02;
  const payload = [lengthPrefixed(f.clientId)];
  if (f.will) {
    flags |= 0x04 | ((f.will.qos ?? 0) << 3) | (f.will.retain ? 0x20 : 0);
    if (v5) payload.push(propertySection(f.will.properties ?? Buffer.alloc(0)));
    payload.push(lengthPrefixed(f.will.topic), lengthPrefixed(f.will.payload));
  }
  if (f.username !== undefined) {
    flags |= 0x80;
    payload.push(lengthPrefixed(f.username));
  }
  flags |= f.extraFlags ?? 0;
  const keepalive = f.keepalive ?? 0;
  const body = Buffer.concat([
    lengthPrefixed(protocolId),
    Buffer.from([f.level, flags, keepalive >> 8, keepalive & 0xff]),
    v5 ? propertySection(f.properties ?? Buffer.alloc(0)) : Buffer.alloc(0),
    ...payload,
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}
