// Raw MQTT clients for wire tests that MQTT.js cannot express: hand-built CONNECTs (odd
// protocol names and levels, reserved flags, empty client ids), exact packet ids, acks
// withheld or sent twice. Packets go out with mqtt-packet over node:net (tcp) or the `ws`
// package (WebSocket), so every raw case runs over both transports.
import net from 'node:net';
import mqttPacket, { type IConnackPacket, type Packet } from 'mqtt-packet';
import WebSocket from 'ws';
import { type TestNode, type TransportName, urlFor } from './test-node.js';

export type RawVersion = 3 | 4;

export interface RawClient {
  /** Every packet received, in order. */
  readonly received: Packet[];
  /** Errors from decoding what the server sent (a malformed server packet fails the test). */
  readonly decodeErrors: Error[];
  readonly closed: boolean;
  /** Date.now() when the connection closed. */
  readonly closedAtMs: number | undefined;
  send(packet: Packet): void;
  sendBytes(bytes: Buffer): void;
  /** The oldest received packet (of `cmd`, when given) not yet taken; waits up to `timeoutMs`. */
  next<T extends Packet = Packet>(cmd?: Packet['cmd'], timeoutMs?: number): Promise<T>;
  /** Received packets (of `cmd`, when given) not yet taken. */
  untaken(cmd?: Packet['cmd']): Packet[];
  /** True once the connection is closed, false if still open after `timeoutMs`. */
  waitClosed(timeoutMs?: number): Promise<boolean>;
  /** Closes the socket at once, without DISCONNECT. */
  destroy(): void;
  /** Sends DISCONNECT (if still open) and waits for the close. */
  end(): Promise<void>;
}

/** Opens a socket (no MQTT yet) to the node; packets are decoded at `version`. */
export async function openRaw(node: TestNode, transport: TransportName, version: RawVersion = 4) {
  const received: Packet[] = [];
  const taken = new Set<Packet>();
  const decodeErrors: Error[] = [];
  const parser = mqttPacket.parser({ protocolVersion: version });
  parser.on('packet', (p: Packet) => received.push(p));
  parser.on('error', (e: Error) => decodeErrors.push(e));
  let closedAtMs: number | undefined;
  const markClosed = () => {
    closedAtMs ??= Date.now();
  };

  let write: (bytes: Buffer) => void;
  let destroy: () => void;
  if (transport === 'tcp') {
    const socket = net.connect(Number(new URL(node.tcpUrl).port), '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('close', markClosed);
    write = (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    };
    destroy = () => socket.destroy();
  } else {
    const ws = new WebSocket(urlFor(node, 'ws'), ['mqtt']);
    ws.binaryType = 'nodebuffer';
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => parser.parse(data));
    ws.on('close', markClosed);
    write = (bytes) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(bytes);
    };
    destroy = () => ws.terminate();
  }

  const untaken = (cmd?: Packet['cmd']) =>
    received.filter((p) => !taken.has(p) && (cmd === undefined || p.cmd === cmd));

  const client: RawClient = {
    received,
    decodeErrors,
    get closed() {
      return closedAtMs !== undefined;
    },
    get closedAtMs() {
      return closedAtMs;
    },
    send: (packet) => write(mqttPacket.generate(packet, { protocolVersion: version })),
    sendBytes: (bytes) => write(bytes),
    untaken,
    async next<T extends Packet = Packet>(cmd?: Packet['cmd'], timeoutMs = 3000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [packet] = untaken(cmd);
        if (packet) {
          taken.add(packet);
          return packet as T;
        }
        if (Date.now() > deadline) {
          const seen = received.map((p) => p.cmd).join(',') || 'nothing';
          throw new Error(`no ${cmd ?? 'packet'} within ${timeoutMs} ms (received: ${seen})`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async waitClosed(timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (closedAtMs === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      return closedAtMs !== undefined;
    },
    destroy: () => destroy(),
    async end() {
      if (closedAtMs === undefined) client.send({ cmd: 'disconnect' });
      if (!(await client.waitClosed(1000))) destroy();
      await client.waitClosed(1000);
    },
  };
  return client;
}

export interface ConnectFields {
  clientId: string;
  /** Defaults: 'MQIsdp' at level 3, else 'MQTT'. */
  protocolId?: string;
  level?: number;
  clean?: boolean;
  keepalive?: number;
  will?: { topic: string; payload: string | Buffer; qos?: 0 | 1 | 2; retain?: boolean };
  /** OR-ed into the connect flags byte (e.g. 0x01, the reserved bit). */
  extraFlags?: number;
}

const utf8 = (s: string | Buffer) => {
  const body = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([len, body]);
};

function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

/**
 * A CONNECT built by hand, so it can carry what mqtt-packet refuses to encode: any protocol
 * name and level, reserved flag bits, an empty client id at 3.1 or with clean session 0.
 */
export function connectBytes(f: ConnectFields): Buffer {
  const level = f.level ?? 4;
  const protocolId = f.protocolId ?? (level === 3 ? 'MQIsdp' : 'MQTT');
  let flags = f.clean === false ? 0 : 0x02;
  const payload = [utf8(f.clientId)];
  if (f.will) {
    flags |= 0x04 | ((f.will.qos ?? 0) << 3) | (f.will.retain ? 0x20 : 0);
    payload.push(utf8(f.will.topic), utf8(f.will.payload));
  }
  flags |= f.extraFlags ?? 0;
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(f.keepalive ?? 0);
  const body = Buffer.concat([utf8(protocolId), Buffer.from([level, flags]), keepalive, ...payload]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** Opens a raw client at `version`, sends CONNECT and waits for CONNACK (of any return code). */
export async function rawConnect(
  node: TestNode,
  transport: TransportName,
  version: RawVersion,
  fields: Omit<ConnectFields, 'level'>,
): Promise<{ raw: RawClient; connack: IConnackPacket }> {
  const raw = await openRaw(node, transport, version);
  raw.sendBytes(connectBytes({ ...fields, level: version }));
  const connack = await raw.next<IConnackPacket>('connack');
  return { raw, connack };
}
