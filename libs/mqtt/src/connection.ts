// One MQTT client connection: the per-connection state machine between a ByteConnection
// and the broker. Packets are framed, then dispatched in order; a handler that returns a
// promise (CONNECT, SUBSCRIBE, UNSUBSCRIBE) holds later packets back until it settles.
import type { Message } from '@edgemq/backbone';
import type { Broker, Delivery, DeliveryTarget, Session } from '@edgemq/core';
import type { ByteConnection, ConnectionHandler } from '@edgemq/transport';
import type { PacketDecoder, ProtocolVersion } from './codec.js';
import { dispatch } from './dispatch.js';
import { MqttError, protocolError } from './errors.js';
import { Framer } from './framer.js';
import type { MqttOptions } from './options.js';
import { Outbound, type OutboundMessage, type OutboundState } from './outbound.js';
import { ReasonCode } from './reason-codes.js';
import { type ConnackProperties, sendConnack, sendDisconnect, sendPublish, sendPubrel } from './send.js';
import type { InboundAliases, OutboundAliases } from './topic-aliases.js';

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

export class MqttConnection implements ConnectionHandler, DeliveryTarget {
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
  clientMaxPacketBytes = Number.POSITIVE_INFINITY;
  inboundAliases?: InboundAliases;
  outboundAliases?: OutboundAliases;
  /** QoS 1 PUBLISHes received whose PUBACK is not yet sent (5.0 Receive Maximum). */
  inboundQos1Pending = 0;
  decoder?: PacketDecoder;
  readonly incomingQos2 = new Set<number>();
  readonly outbound: Outbound;
  private readonly framer: Framer;
  private lastInboundAtMs = Date.now();
  private keepAliveMs = 0;
  private timer?: NodeJS.Timeout;
  private holding?: Promise<void>;
  private backlog: Buffer[] = [];
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
    this.framer = new Framer(options.maxPacketBytes);
    this.outbound = new Outbound(
      {
        sendPublish: (entry, packetId, dup) => sendPublish(this, entry, packetId, dup),
        sendPubrel: (packetId) => sendPubrel(this, packetId),
      },
      { maxInflight: options.maxInflight, maxQueued: options.maxQueuedMessages },
      broker.counters,
    );
    // [MQTT-3.1.0-1] a connection that never sends CONNECT is closed.
    this.timer = setTimeout(() => {
      if (this.state !== 'open') this.close();
    }, options.connectTimeoutMs);
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
    this.lastInboundAtMs = Date.now();
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
    let packets: Buffer[];
    try {
      packets = this.framer.push(chunk);
    } catch (error) {
      this.fail(error);
      return;
    }
    for (const packet of packets) {
      if (this.closed) return;
      if (this.holding) this.backlog.push(packet);
      else this.handle(packet);
    }
  }

  onDrain(): void {
    if (this.state === 'open') this.outbound.drained();
  }

  onClose(): void {
    this.teardown();
  }

  // --- DeliveryTarget ---

  deliver(message: Message, delivery: Delivery): void {
    this.outbound.send(outboundOf(message, delivery));
  }

  oldestUnsettledMs(): number | undefined {
    return this.outbound.oldestUnsettledMs();
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
    this.state = 'open';
    for (const id of state?.incomingQos2 ?? []) this.incomingQos2.add(id);
    const session = this.session;
    if (session) {
      this.outbound.prepend(queued.map((m) => outboundOf(m, this.broker.deliveryFor(session, m))));
    }
    this.outbound.start(state?.outbound);
    clearTimeout(this.timer);
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

  private hold(pending: Promise<void>): void {
    this.holding = pending.then(
      () => {
        this.holding = undefined;
        while (this.backlog.length > 0 && !this.holding && !this.closed) this.handle(this.backlog.shift()!);
      },
      (error) => {
        this.holding = undefined;
        this.fail(error);
      },
    );
  }

  private armKeepAlive(delayMs: number): void {
    this.timer = setTimeout(() => {
      const idle = Date.now() - this.lastInboundAtMs;
      if (idle >= this.keepAliveMs)
        this.fail(new MqttError(ReasonCode.keepAliveTimeout, 'keep-alive timeout'));
      else this.armKeepAlive(this.keepAliveMs - idle);
    }, delayMs);
  }

  private teardown(): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    clearTimeout(this.timer);
    this.backlog = [];
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
    return { outbound: this.outbound.snapshot(), incomingQos2: [...this.incomingQos2] };
  }
}

/** A matched message as one PUBLISH to this client. */
function outboundOf(message: Message, delivery: Delivery): OutboundMessage {
  return {
    message,
    qos: delivery.qos,
    // Live messages carry retain=0 unless the subscription asked otherwise [MQTT-3.3.1-9].
    retain: delivery.retainAsPublished && message.retain,
    subscriptionIds: delivery.subscriptionIds,
  };
}
