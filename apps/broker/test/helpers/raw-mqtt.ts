// Raw MQTT over a real socket, for wire tests that must send what MQTT.js will not
// (malformed bytes, withheld acknowledgements, a paused reader) or must see exactly which
// packets the node sends (DUP flags, PUBREL on resume). One class over both transports:
// TCP through node:net, WebSocket through `ws` with the `mqtt` subprotocol.
import net from 'node:net';
import { waitFor } from '@edgemq/testkit';
import mqttPacket, { type IConnackPacket, type Packet, type QoS } from 'mqtt-packet';
import WebSocket from 'ws';
import { type TestNode, type TransportName, urlFor } from './test-node.js';

/** MQTT 3.1 (3, `MQIsdp`) or 3.1.1 (4, `MQTT`). */
export type RawVersion = 3 | 4;

export interface RawCloseInfo {
  /** WebSocket close code; undefined over TCP. */
  code?: number;
  /** Date.now() when the socket closed. */
  atMs: number;
}

interface Link {
  write(bytes: Buffer): void;
  writeText(text: string): void;
  pause(): void;
  resume(): void;
  destroy(): void;
}

export class RawClient {
  /** Every packet received, in order. */
  readonly packets: Packet[] = [];
  /** Set when the bytes from the node did not parse. */
  parseError?: Error;
  closedInfo?: RawCloseInfo;
  /** Answer PUBLISH (PUBACK / PUBREC) and PUBREL (PUBCOMP) as they arrive. */
  autoAck = false;
  readonly openedAtMs = Date.now();
  private readIndex = 0;
  private link?: Link;
  private readonly parser;

  constructor(readonly version: RawVersion) {
    this.parser = mqttPacket.parser({ protocolVersion: version });
    this.parser.on('packet', (p: Packet) => {
      this.packets.push(p);
      if (this.autoAck) this.ack(p);
    });
    this.parser.on('error', (e: Error) => {
      this.parseError ??= e;
    });
  }

  /** Opens a socket to the node (no MQTT sent yet). */
  static async open(node: TestNode, transport: TransportName, version: RawVersion = 4): Promise<RawClient> {
    const raw = new RawClient(version);
    raw.link = transport === 'tcp' ? await raw.openTcp(node) : await raw.openWs(node);
    return raw;
  }

  get closed(): boolean {
    return this.closedInfo !== undefined;
  }

  get unread(): number {
    return this.packets.length - this.readIndex;
  }

  send(packet: Packet): void {
    this.sendBytes(mqttPacket.generate(packet, { protocolVersion: this.version }));
  }

  sendBytes(bytes: Buffer): void {
    this.link!.write(bytes);
  }

  /** A WebSocket text frame (WebSocket only). */
  sendText(text: string): void {
    this.link!.writeText(text);
  }

  pause(): void {
    this.link!.pause();
  }

  resume(): void {
    this.link!.resume();
  }

  /** Drops the socket at once, without DISCONNECT, and waits for it to be gone. */
  async destroy(): Promise<void> {
    if (!this.closed) this.link!.destroy();
    await waitFor(() => this.closed, 5000, 'raw socket to close');
  }

  /** The next packet not yet read; throws if none arrives in time. */
  async next(timeoutMs = 3000): Promise<Packet> {
    const deadline = Date.now() + timeoutMs;
    while (this.unread === 0) {
      if (this.closed) throw new Error('socket closed while waiting for a packet');
      if (this.parseError) throw this.parseError;
      if (Date.now() > deadline) throw new Error(`no packet within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.packets[this.readIndex++];
  }

  /** The next packet, which must be a `cmd`. */
  async expect<C extends Packet['cmd']>(cmd: C, timeoutMs = 3000): Promise<Extract<Packet, { cmd: C }>> {
    const packet = await this.next(timeoutMs);
    if (packet.cmd !== cmd) {
      throw new Error(`expected ${cmd}, got ${JSON.stringify(describePacket(packet))}`);
    }
    return packet as Extract<Packet, { cmd: C }>;
  }

  /** Waits `ms` and returns the packets that arrived unread meanwhile (marking them read). */
  async drainFor(ms: number): Promise<Packet[]> {
    await new Promise((r) => setTimeout(r, ms));
    const out = this.packets.slice(this.readIndex);
    this.readIndex = this.packets.length;
    return out;
  }

  /** Resolves when the node closes the socket; throws if it is still open after `timeoutMs`. */
  async waitClosed(timeoutMs = 3000): Promise<RawCloseInfo> {
    await waitFor(() => this.closed, timeoutMs, 'the node to close the connection');
    return this.closedInfo!;
  }

  /** Sends CONNECT and returns the CONNACK. */
  async connect(clientId: string, clean = true, keepalive = 0): Promise<IConnackPacket> {
    this.send({
      cmd: 'connect',
      protocolId: this.version === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: this.version,
      clientId,
      clean,
      keepalive,
    });
    return this.expect('connack');
  }

  /** Sends SUBSCRIBE and returns the granted QoS from the SUBACK. */
  async subscribe(topic: string, qos: QoS, messageId = 1): Promise<number[]> {
    this.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
    const suback = await this.expect('suback');
    return suback.granted as number[];
  }

  private ack(p: Packet): void {
    if (this.closed) return;
    if (p.cmd === 'publish' && p.qos === 1) this.send({ cmd: 'puback', messageId: p.messageId });
    if (p.cmd === 'publish' && p.qos === 2) this.send({ cmd: 'pubrec', messageId: p.messageId });
    if (p.cmd === 'pubrel') this.send({ cmd: 'pubcomp', messageId: p.messageId });
  }

  private markClosed(code?: number): void {
    this.closedInfo ??= { code, atMs: Date.now() };
  }

  private async openTcp(node: TestNode): Promise<Link> {
    const socket = net.connect({ host: '127.0.0.1', port: node.ports.mqtt, noDelay: true });
    socket.on('data', (chunk) => this.parser.parse(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.markClosed());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return {
      write: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      writeText: () => {
        throw new Error('text frames exist only over WebSocket');
      },
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      destroy: () => socket.destroy(),
    };
  }

  private async openWs(node: TestNode): Promise<Link> {
    const ws = new WebSocket(urlFor(node, 'ws'), 'mqtt');
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => this.parser.parse(data));
    ws.on('error', () => undefined);
    ws.on('close', (code: number) => this.markClosed(code));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return {
      write: (bytes) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(bytes, { binary: true });
      },
      writeText: (text) => ws.send(text, { binary: false }),
      pause: () => ws.pause(),
      resume: () => ws.resume(),
      destroy: () => ws.terminate(),
    };
  }
}

/** Opens a socket and completes CONNECT/CONNACK. */
export async function rawConnect(
  node: TestNode,
  transport: TransportName,
  options: { version: RawVersion; clientId: string; clean?: boolean },
): Promise<{ raw: RawClient; connack: IConnackPacket }> {
  const raw = await RawClient.open(node, transport, options.version);
  const connack = await raw.connect(options.clientId, options.clean ?? true);
  return { raw, connack };
}

/** A packet without its payload bytes, for error messages. */
export function describePacket(p: Packet): object {
  const { payload: _payload, ...rest } = p as Packet & { payload?: unknown };
  return rest;
}
