// One MQTT client connection: the per-connection state machine between a ByteConnection
// and the broker. Packets are framed, then dispatched in order; a handler that returns a
// promise (CONNECT, SUBSCRIBE, UNSUBSCRIBE) holds later packets back until it settles.
import type { Broker, Delivery, DeliveryTarget, Message, Session } from '@edgemq/core';
import type { ByteConnection, ConnectionHandler } from '@edgemq/transport';
import type { ProtocolVersion } from './codec.js';
import { dispatch } from './dispatch.js';
import { MqttError, protocolError } from './errors.js';
import { Framer } from './framer.js';
import type { MqttOptions } from './options.js';
import {
  Outbound,
  type OutboundMessage,
  type OutboundOptions,
  type OutboundSink,
  type OutboundState,
  type SendResult,
} from './outbound.js';
import { ReasonCode } from './reason-codes.js';
import { type ConnackProperties, sendConnack, sendDisconnect, sendPublish, sendPubrel } from './send.js';
import { outboundOf } from './subscription-data.js';
import { type WheelTimer, wheel } from './timer-wheel.js';
import type { InboundAliases, OutboundAliases } from './topic-aliases.js';
import type { TopicCache } from './wire.js';

const CONNECT_TYPE = 1;

type State = 'awaiting-connect' | 'connecting' | 'open' | 'closed';

/** What a persistent MQTT session stores at disconnect. */
export interface MqttProtocolState {
  outbound: OutboundState;
  /** QoS 2 packet ids received (PUBREC sent) whose PUBREL has not arrived. */
  incomingQos2: number[];
}

export interface ConnectionLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class MqttConnection implements ConnectionHandler, DeliveryTarget, OutboundSink, WheelTimer {
  version: ProtocolVersion = 4;
  state: State = 'awaiting-connect';
  clientId = '';
  session?: Session;
  /** Published if the connection ends without DISCONNECT. */
  will?: Message;
  /** Keep the session after this connection ends (3.1.1 clean session 0, 5.0 expiry > 0). */
  persistentSession = false;
  /** MQTT 5 Session Expiry Interval in seconds; 0xFFFFFFFF never expires. */
  sessionExpirySec = 0;
  /** MQTT 5 Will Delay Interval in seconds. */
  willDelaySec = 0;
  /** MQTT 5 Request Problem Information: reason strings allowed on acks. */
  problemInformation = true;
  /** MQTT 5 Maximum Packet Size of the client. */
  clientMaxPacketBytes = LARGEST_PACKET_BYTES;
  inboundAliases?: InboundAliases;
  outboundAliases?: OutboundAliases;
  /** The topic this client last published to (made at its first PUBLISH). */
  topicCache?: TopicCache;
  /** QoS 1 PUBLISHes received whose PUBACK is not yet sent (5.0 Receive Maximum). */
  inboundQos1Pending = 0;
  /** QoS 2 packet ids received whose PUBREL has not come; made on first use (see qos2Ids). */
  incomingQos2?: Set<number>;
  /** Made on first use (see outbound): an idle connection never needs one. */
  private outboundFlow?: Outbound;
  /** Only while a packet is split across chunks; otherwise a shared idle Framer reads. */
  private framer?: Framer;
  /** Clock (see now()) when bytes last came in. */
  private lastInboundAtMs = now();
  private keepAliveMs = 0;
  /** CONNECT timeout, then keep-alive: a tick of the shared timer wheel (0 = none). */
  dueTick = 0;
  private holding?: Promise<void>;
  /** Packets that arrived while a handler held the line; made on first use. */
  private backlog?: Buffer[];
  private handedBack?: Promise<void>;
  /** Some bytes have arrived already (the first byte has been judged). */
  private framing = false;

  constructor(
    readonly link: ByteConnection,
    readonly broker: Broker,
    readonly options: MqttOptions,
    private readonly logger: ConnectionLogger,
    private readonly onEnded: (conn: MqttConnection) => void,
  ) {
    // [MQTT-3.1.0-1] a connection that never sends CONNECT is closed.
    wheel.schedule(this, options.connectTimeoutMs);
  }

  // --- OutboundSink (the connection is its own sink: no per-connection closures) ---

  sendPublish(entry: OutboundMessage, packetId: number | undefined, dup: boolean): SendResult {
    return sendPublish(this, entry, packetId, dup);
  }

  sendPubrel(packetId: number): boolean {
    return sendPubrel(this, packetId);
  }

  /** Messages on their way to this client; made on first use, started if CONNACK is out. */
  get outbound(): Outbound {
    let flow = this.outboundFlow;
    if (!flow) {
      flow = new Outbound(this, outboundOptionsOf(this.options), this.broker.counters);
      this.outboundFlow = flow;
      if (this.state === 'open') flow.start(undefined);
    }
    return flow;
  }

  /** incomingQos2, made when first needed. */
  qos2Ids(): Set<number> {
    if (!this.incomingQos2) this.incomingQos2 = new Set();
    return this.incomingQos2;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  write(bytes: Uint8Array): boolean {
    return this.link.write(bytes);
  }

  /** Writes made after an await go through cork, so they leave in one batch. */
  corked(fn: () => void): void {
    if (!this.closed) this.link.cork(fn);
  }

  // --- ConnectionHandler ---

  onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastInboundAtMs = now();
    if (
      this.state === 'awaiting-connect' &&
      chunk.length > 0 &&
      chunk[0] >> 4 !== CONNECT_TYPE &&
      !this.framing
    ) {
      // [MQTT-3.1.0-1] judge the very first byte: never buffer a non-MQTT stream.
      this.fail(protocolError('first packet must be CONNECT'));
      return;
    }
    this.framing = true;
    // The chunk is lent: packets are read in place, and only a held-back one is copied.
    let framer = this.framer;
    if (!framer) {
      framer = idleFramer ?? new Framer(this.options.maxPacketBytes);
      idleFramer = undefined;
      framer.maxPacketBytes = this.options.maxPacketBytes;
    }
    framer.begin(chunk);
    try {
      for (let packet = framer.next(); packet !== undefined; packet = framer.next()) {
        if (this.holding) this.holdBack(packet);
        else this.handle(packet);
        if (this.closed) break;
      }
    } catch (error) {
      this.fail(error);
    } finally {
      framer.end();
      if (framer.holdsPartial && !this.closed) this.framer = framer;
      else {
        this.framer = undefined;
        framer.reset();
        idleFramer = framer;
      }
    }
  }

  onDrain(): void {
    if (this.state === 'open') this.outboundFlow?.drained();
  }

  onClose(): void {
    this.teardown();
  }

  // --- DeliveryTarget ---

  deliver(message: Message, delivery: Delivery): void {
    this.outbound.send(outboundOf(message, delivery));
  }

  oldestUnsettledMs(): number | undefined {
    return this.outboundFlow?.oldestUnsettledMs();
  }

  takeOver(): Promise<void> {
    // [MQTT-3.1.4-2] the existing connection is closed; 5.0 tells it why.
    this.corked(() => sendDisconnect(this, ReasonCode.sessionTakenOver));
    this.close();
    return this.handedBack ?? Promise.resolve();
  }

  /** Server shutdown: close without a will (the node, not the client, ended it) and save the session. */
  takeOverForShutdown(): Promise<void> {
    this.will = undefined;
    this.close();
    return this.handedBack ?? Promise.resolve();
  }

  // --- lifecycle, used by handlers ---

  /** CONNACK accepted: start keep-alive and the outbound flow. */
  opened(
    sessionPresent: boolean,
    keepAliveSec: number,
    state: MqttProtocolState | undefined,
    queued: Message[],
    properties?: ConnackProperties,
  ): void {
    sendConnack(this, ReasonCode.success, sessionPresent, properties);
    // The flow is made here only when it has work; otherwise at first use (started then).
    const flow = state?.outbound || queued.length > 0 ? this.outbound : this.outboundFlow;
    this.state = 'open';
    for (const id of state?.incomingQos2 ?? []) this.qos2Ids().add(id);
    const session = this.session;
    if (flow) {
      if (session) flow.prepend(queued.map((m) => outboundOf(m, this.broker.deliveryFor(session, m))));
      flow.start(state?.outbound);
    }
    wheel.cancel(this);
    // [MQTT-3.1.2-24] the server allows one and a half times the keep-alive.
    this.keepAliveMs = keepAliveSec * 1500;
    if (this.keepAliveMs > 0) this.armKeepAlive(this.keepAliveMs);
  }

  /** The client sent DISCONNECT: drop the will [MQTT-3.14.4-3] and close. */
  disconnectedByClient(): void {
    this.will = undefined;
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.link.end();
    this.teardown();
  }

  /** A handler or the framer failed: refuse or disconnect as the protocol says, then close. */
  fail(error: unknown): void {
    if (this.closed) return;
    const reason = error instanceof MqttError ? error.reasonCode : ReasonCode.unspecifiedError;
    this.logger.debug({ clientId: this.clientId, err: String(error) }, 'closing MQTT connection');
    const reasonString = error instanceof Error ? error.message : undefined;
    this.corked(() => {
      if (this.state === 'open') sendDisconnect(this, reason, reasonString);
      else if (error instanceof MqttError && error.refuseConnect) {
        sendConnack(this, reason, false, reasonString ? { reasonString } : undefined);
      }
    });
    this.close();
  }

  private handle(packet: Buffer): void {
    try {
      const pending = dispatch(this, packet);
      if (pending) this.hold(pending);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Keeps a copy of a packet that must wait for the handler holding the line. */
  private holdBack(packet: Buffer): void {
    if (!this.backlog) this.backlog = [];
    this.backlog.push(Buffer.from(packet));
  }

  private hold(pending: Promise<void>): void {
    this.holding = pending.then(
      () => {
        this.holding = undefined;
        const backlog = this.backlog;
        while (backlog && backlog.length > 0 && !this.holding && !this.closed) this.handle(backlog.shift()!);
      },
      (error) => {
        this.holding = undefined;
        this.fail(error);
      },
    );
  }

  private armKeepAlive(delayMs: number): void {
    wheel.schedule(this, delayMs);
  }

  /**
   * The wheel timer came due. Before CONNACK: the CONNECT timeout. After: the keep-alive,
   * which closes a silent client or waits for the rest of the interval.
   */
  timerDue(): void {
    if (this.state !== 'open') {
      this.close();
      return;
    }
    const idle = now() - this.lastInboundAtMs;
    if (idle >= this.keepAliveMs) this.fail(new MqttError(ReasonCode.keepAliveTimeout, 'keep-alive timeout'));
    else this.armKeepAlive(this.keepAliveMs - idle);
  }

  private teardown(): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    wheel.cancel(this);
    this.backlog = undefined;
    const will = wasOpen ? this.will : undefined;
    this.will = undefined;
    const session = this.session;
    this.handedBack = session
      ? this.broker
          .closeSession(session, this, {
            persistent: this.persistentSession,
            protocolState: this.persistentSession ? this.protocolState() : undefined,
            expiresAtMs: this.sessionExpiresAtMs(),
            will,
            willDelayMs: this.willDelaySec * 1000,
          })
          .catch((err) => this.logger.warn({ err: String(err) }, 'session not saved'))
      : Promise.resolve();
    this.onEnded(this);
  }

  private sessionExpiresAtMs(): number | null {
    if (this.version !== 5 || this.sessionExpirySec === 0xffffffff) return null;
    return Date.now() + this.sessionExpirySec * 1000;
  }

  private protocolState(): MqttProtocolState {
    return { outbound: this.outbound.snapshot(), incomingQos2: [...(this.incomingQos2 ?? [])] };
  }
}

/** The largest packet MQTT can frame: 1 + 4 length bytes + 268,435,455 (a small integer, unlike Infinity). */
const LARGEST_PACKET_BYTES = 268_435_460;

// Times in ms since this module loaded: small integers that fit a field unboxed (for ~24 days).
const CLOCK_BASE_MS = Date.now();
const now = () => Date.now() - CLOCK_BASE_MS;

/** A Framer holding no partial packet, lent to whichever connection reads next. */
let idleFramer: Framer | undefined;

/** Outbound limits, one object per MqttOptions (Outbound never changes it: it replaces it). */
const outboundOptions = new WeakMap<MqttOptions, OutboundOptions>();

function outboundOptionsOf(options: MqttOptions): OutboundOptions {
  let shared = outboundOptions.get(options);
  if (!shared) {
    shared = { maxInflight: options.maxInflight, maxQueued: options.maxQueuedMessages };
    outboundOptions.set(options, shared);
  }
  return shared;
}

/**
 * The state to park a session with when its connection closed before it could take what
 * the session had: the previous state, with the queued messages waiting behind it.
 */
export function parkedState(
  previous: MqttProtocolState | undefined,
  queued: Message[],
  deliveryFor: (message: Message) => Delivery,
): MqttProtocolState | undefined {
  if (queued.length === 0) return previous;
  const outbound = previous?.outbound ?? { inflight: [], pending: [] };
  return {
    incomingQos2: previous?.incomingQos2 ?? [],
    outbound: {
      ...outbound,
      pending: outbound.pending.concat(queued.map((m) => outboundOf(m, deliveryFor(m)))),
    },
  };
}
