// An in-memory harness for MQTT handler tests: the real MqttServer and Broker on the memory
// backbone, with a FakeByteConnection in place of a socket. A test pushes bytes in (whole
// packets, or cut at any byte), reads what the node wrote as decoded packets, makes writes
// report backpressure, and closes from the client side; no port, no timing of a real
// network. createMqttHarness() is the one place that wires the node's parts together.
import { type AccessControl, allowAll, type ConnectionHandshake } from '@edgemq/access';
import { MemoryBackbone } from '@edgemq/backbone';
import { configSchema } from '@edgemq/config';
import { Broker, type BrokerOptions, type CoreLogger, type Message } from '@edgemq/core';
import type { ByteConnection, ConnectionHandler, TransportKind } from '@edgemq/transport';
import mqttPacket, { type IConnackPacket, type IConnectPacket, type Packet } from 'mqtt-packet';
import { type MqttOptions, MqttServer } from '../src/index.js';

/** MQTT 3.1, 3.1.1 or 5.0: the protocol level of a connection. */
export type MqttLevel = 3 | 4 | 5;

/** The packet mqtt-packet decodes for `cmd`. */
export type PacketOf<C extends Packet['cmd']> = Extract<Packet, { cmd: C }>;

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `check()` holds, polling; throws naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(2);
  }
}

/**
 * A ByteConnection as a transport would hand it to the MQTT acceptor, driven by the test.
 * What the node writes is decoded (at `level`) into `received`; what the test pushes reaches
 * the node's onData. Chunks are lent as the interface says: each is overwritten once onData
 * returns, so a handler that keeps one without copying reads garbage.
 */
export class FakeByteConnection implements ByteConnection {
  readonly transport: TransportKind = 'tcp';
  readonly remoteAddress = '127.0.0.1';
  /** What takeHandshake() hands the protocol (a plain TCP client on loopback unless changed). */
  handshake: ConnectionHandshake = { transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: 50000 };
  /** Every write() the node made, copied, in order. */
  readonly written: Buffer[] = [];
  /** Every packet the node wrote, decoded, in order. */
  readonly received: Packet[] = [];
  /** Errors decoding what the node wrote (a malformed packet from the node). */
  readonly decodeErrors: Error[] = [];
  /** How many times the node called end() and destroy(). */
  endCalls = 0;
  destroyCalls = 0;
  /** Who closed the connection first, once closed. */
  closedBy?: 'node-end' | 'node-destroy' | 'client';
  /** Bytes written while congested, until drain(). */
  private buffered = 0;
  private congested = false;
  private handler?: ConnectionHandler;
  private closeReported = false;
  private readonly parser;

  constructor(readonly level: MqttLevel) {
    this.parser = mqttPacket.parser({ protocolVersion: level });
    this.parser.on('packet', (p: Packet) => this.received.push(p));
    this.parser.on('error', (e: Error) => this.decodeErrors.push(e));
  }

  /** The handler the acceptor returned for this connection. */
  attach(handler: ConnectionHandler): void {
    this.handler = handler;
  }

  // --- ByteConnection: the node's side ---

  get closed(): boolean {
    return this.closedBy !== undefined;
  }

  write(data: Uint8Array): boolean {
    if (this.closed) return false;
    // Decoded at once: what the node wrote is observable in the order it wrote it.
    const bytes = Buffer.from(data);
    this.written.push(bytes);
    this.parser.parse(bytes);
    if (!this.congested) return true;
    this.buffered += data.length;
    return false;
  }

  takeHandshake(): ConnectionHandshake {
    return this.handshake;
  }

  bufferedBytes(): number {
    return this.buffered;
  }

  cork(fn: () => void): void {
    fn();
  }

  end(): void {
    this.endCalls++;
    this.close('node-end');
  }

  destroy(): void {
    this.destroyCalls++;
    this.close('node-destroy');
  }

  // --- the client's side ---

  /**
   * Delivers `bytes` to the node: one onData call per piece when cut at `cuts` (offsets,
   * ascending), so `push(b, [1, 5])` hands over b[0..1), b[1..5) and b[5..).
   */
  push(bytes: Buffer, cuts: number[] = []): void {
    const bounds = [0, ...cuts, bytes.length];
    for (let i = 0; i + 1 < bounds.length; i++) {
      if (this.closed) return;
      const chunk = Buffer.from(bytes.subarray(bounds[i], bounds[i + 1]));
      this.handler!.onData(chunk);
      chunk.fill(0xee); // lent, not given: the transport reuses it
    }
  }

  /** From now on write() reports the buffer full (returns false). */
  congest(): void {
    this.congested = true;
  }

  /** The buffer emptied: write() reports room again and the node is told (onDrain). */
  drain(): void {
    this.congested = false;
    this.buffered = 0;
    if (!this.closed) this.handler!.onDrain();
  }

  /** The client closes the connection (socket lost, or closed after DISCONNECT). */
  closeFromClient(): void {
    this.close('client');
  }

  private close(by: 'node-end' | 'node-destroy' | 'client'): void {
    if (this.closed) return;
    this.closedBy = by;
    // Like a socket's 'close' event: later, and exactly once.
    setImmediate(() => {
      if (this.closeReported) return;
      this.closeReported = true;
      this.handler!.onClose();
    });
  }
}

/** What `connect` sends: mqtt-packet CONNECT fields (protocol name and level come from the level). */
export type ConnectFields = Omit<IConnectPacket, 'cmd' | 'protocolId' | 'protocolVersion'>;

/** A client's view of one harness connection: packets in and out, at its level. */
export class MqttTestClient {
  /** The CONNACK, when opened with connect(). */
  connack?: IConnackPacket;
  private readonly taken = new Set<Packet>();

  constructor(readonly link: FakeByteConnection) {}

  get level(): MqttLevel {
    return this.link.level;
  }

  /** Every packet the node sent, in order. */
  get received(): Packet[] {
    return this.link.received;
  }

  get closed(): boolean {
    return this.link.closed;
  }

  encode(packet: Packet): Buffer {
    return mqttPacket.generate(packet, { protocolVersion: this.level });
  }

  /** Sends one packet (or several, back to back) in one chunk, or cut at `cuts`. */
  send(packets: Packet | Packet[], cuts: number[] = []): void {
    const list = Array.isArray(packets) ? packets : [packets];
    this.link.push(Buffer.concat(list.map((p) => this.encode(p))), cuts);
  }

  /** Packets (of `cmd`, when given) received and not yet taken by next(). */
  untaken(): Packet[];
  untaken<C extends Packet['cmd']>(cmd: C): PacketOf<C>[];
  untaken(cmd?: Packet['cmd']): Packet[] {
    return this.received.filter((p) => !this.taken.has(p) && (cmd === undefined || p.cmd === cmd));
  }

  /** Takes the oldest packet of `cmd` not yet taken, waiting for it; fails at once if the node closed. */
  async next<C extends Packet['cmd']>(cmd: C, timeoutMs = 5000): Promise<PacketOf<C>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [packet] = this.untaken(cmd);
      if (packet) {
        this.taken.add(packet);
        return packet;
      }
      if (this.link.decodeErrors.length > 0) throw this.link.decodeErrors[0];
      if (this.closed || Date.now() > deadline) {
        const seen = this.received.map((p) => p.cmd).join(',') || 'nothing';
        throw new Error(`no ${cmd} (connection ${this.closed ? 'closed' : 'open'}, received: ${seen})`);
      }
      await pause(2);
    }
  }

  /** True once the connection is closed, false if still open after `timeoutMs`. */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    await until(() => this.closed, timeoutMs, 'the connection to close').catch(() => undefined);
    return this.closed;
  }

  /** Sends DISCONNECT and waits for the node to close the connection. */
  async disconnect(): Promise<void> {
    this.send(this.level === 5 ? { cmd: 'disconnect', reasonCode: 0 } : { cmd: 'disconnect' });
    if (!(await this.waitClosed())) throw new Error('DISCONNECT sent but the connection stayed open');
  }
}

/** One append to the backbone log (a batch of publishes) and how it ended. */
export interface AppendRecord {
  topics: string[];
  state: 'pending' | 'stored' | 'failed';
}

/** The memory backbone, recording each append and able to hold them back (holdAppends). */
export class RecordingBackbone extends MemoryBackbone {
  readonly appends: AppendRecord[] = [];
  private gate?: Promise<void>;

  override async append(messages: Message[]): Promise<void> {
    const record: AppendRecord = { topics: messages.map((m) => m.topic), state: 'pending' };
    this.appends.push(record);
    await this.gate;
    try {
      await super.append(messages);
      record.state = 'stored';
    } catch (error) {
      record.state = 'failed';
      throw error;
    }
  }

  /** Appends wait until the returned function is called. */
  holdAppends(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    return () => {
      this.gate = undefined;
      release();
    };
  }
}

export interface HarnessOptions {
  /** Overrides of the MQTT options (the config schema's defaults otherwise). */
  mqtt?: Partial<MqttOptions>;
  /** Overrides of the broker options (nodeId and maxQueuedMessages come from `mqtt`). */
  broker?: Partial<BrokerOptions>;
  /** Access control (default: allowAll, as a node without a provider). */
  access?: AccessControl;
}

/** A log line of the broker or the MQTT server. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  context: object;
}

export interface MqttHarness {
  readonly options: MqttOptions;
  /** The memory backbone: `failures` switches (see failures.ts), appends, holdAppends(). */
  readonly backbone: RecordingBackbone;
  readonly broker: Broker;
  readonly server: MqttServer;
  /** What the broker and the MQTT server logged. */
  readonly log: LogLine[];
  /** Opens a connection; nothing is sent yet. What the node sends is decoded at `level`. */
  open(level: MqttLevel): MqttTestClient;
  /** Opens a connection, sends CONNECT at `level` and waits for the CONNACK (whatever its code). */
  connect(level: MqttLevel, fields: ConnectFields): Promise<MqttTestClient>;
  /** Closes every connection (as a node shutdown does) and stops broker and backbone. */
  stop(): Promise<void>;
}

/** A node in memory: MemoryBackbone, Broker and MqttServer with the config schema's defaults. */
export async function createMqttHarness(overrides: HarnessOptions = {}): Promise<MqttHarness> {
  const nodeId = 'harness-node';
  // The defaults a node gets from an empty config, as the node builds its MqttServer options.
  const config = configSchema.parse({});
  const options: MqttOptions = { nodeId, ...config.mqtt, tlsPort: config.tls.mqttsPort, ...overrides.mqtt };
  const log: LogLine[] = [];
  const line = (level: LogLine['level']) => (context: object, msg: string) =>
    log.push({ level, msg, context });
  const logger: CoreLogger = {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
  };
  const backbone = new RecordingBackbone({ nodeId });
  await backbone.start();
  const broker = new Broker(backbone, {
    nodeId,
    maxQueuedMessages: options.maxQueuedMessages,
    queueOverflow: options.queueOverflow,
    logger,
    ...overrides.broker,
  });
  await broker.start();
  const server = new MqttServer(broker, options, overrides.access ?? allowAll, logger);

  const open = (level: MqttLevel) => {
    const link = new FakeByteConnection(level);
    link.attach(server.acceptor(link));
    return new MqttTestClient(link);
  };
  return {
    options,
    backbone,
    broker,
    server,
    log,
    open,
    async connect(level, fields) {
      const client = open(level);
      client.send({
        cmd: 'connect',
        protocolId: level === 3 ? 'MQIsdp' : 'MQTT',
        protocolVersion: level,
        clean: true,
        keepalive: 0,
        ...fields,
      });
      client.connack = await client.next('connack');
      return client;
    },
    async stop() {
      await server.closeAll();
      broker.stop();
      await backbone.stop();
    },
  };
}
