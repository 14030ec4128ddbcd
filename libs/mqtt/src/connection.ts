// One MQTT client connection: the per-connection state machine between a ByteConnection
// and the broker. Packets are framed, then dispatched in order; a handler that returns a
// promise (CONNECT, SUBSCRIBE, UNSUBSCRIBE) holds later packets back until it settles.
// Handlers see it through the narrow views of handler-context.ts; past CONNACK, through the
// OpenMqttClient it makes then.
import type { AccessControl, ClientPermissions, ConnectionHandshake } from '@edgemq/access';
import type { Broker, Counters, Delivery, DeliveryTarget, Message, OpenSessionResult } from '@edgemq/core';
import type { ByteConnection, ConnectionHandler } from '@edgemq/transport';
import { type WheelTimer, wheel } from '@edgemq/transport';
import { dispatch } from './dispatch.js';
import { MqttError, protocolError } from './errors.js';
import { Framer } from './framer.js';
import type { ConnectingClient, ConnectionControl } from './handler-context.js';
import {
  type ConnackProperties,
  LARGEST_PACKET_BYTES,
  type NegotiatedSession,
  sessionExpiresAtMs,
} from './negotiated-session.js';
import { OpenMqttClient } from './open-client.js';
import type { MqttOptions } from './options.js';
import {
  Outbound,
  type OutboundMessage,
  type OutboundOptions,
  type OutboundSink,
  type SendResult,
} from './outbound.js';
import type { ProtocolVersion } from './packet-codec.js';
import type { MqttProtocolState } from './protocol-state.js';
import { ReasonCode } from './reason-codes.js';
import { sendConnack, sendDisconnect, sendPublish, sendPubrel } from './send.js';
import { outboundOf } from './subscription-data.js';
import type { OutboundAliases } from './topic-aliases.js';

const CONNECT_TYPE = 1;

/** Until CONNACK, packets after CONNECT wait (see hold); closed is final. */
type State = 'awaiting-connect' | 'open' | 'closed';

export interface ConnectionLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class MqttConnection
  implements ConnectionHandler, ConnectingClient, ConnectionControl, DeliveryTarget, OutboundSink, WheelTimer
{
  version: ProtocolVersion = 4;
  state: State = 'awaiting-connect';
  /** What CONNECT settled; set before the session is claimed. */
  private settings?: NegotiatedSession;
  /** Made at CONNACK: what handlers of every packet after CONNECT receive. */
  client?: OpenMqttClient;
  /** Published if the connection ends without DISCONNECT; dropped by a clean one. */
  private will?: Message;
  // Copied from the settings at settle(): send.ts reads them for every packet it encodes.
  problemInformation = true;
  clientMaxPacketBytes = LARGEST_PACKET_BYTES;
  outboundAliases?: OutboundAliases;
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
  /** The node is shutting down: a CONNECT still being handled ends with CONNACK, then DISCONNECT 0x8B. */
  private shuttingDown = false;
  /** Resolved when the transport reports the socket gone (onClose), not when we asked it to close. */
  private socketGone?: () => void;
  /** Some bytes have arrived already (the first byte has been judged). */
  private framing = false;

  constructor(
    readonly link: ByteConnection,
    readonly broker: Broker,
    readonly options: MqttOptions,
    readonly access: AccessControl,
    private readonly logger: ConnectionLogger,
    private readonly onEnded: (conn: MqttConnection) => void,
  ) {
    // [MQTT-3.1.0-1] a connection that never sends CONNECT is closed.
    wheel.schedule(this, options.connectTimeoutMs);
  }

  /** The client id once CONNECT named or assigned one. */
  get clientId(): string {
    return this.settings?.clientId ?? '';
  }

  get counters(): Counters {
    return this.broker.counters;
  }

  get deliveryTarget(): DeliveryTarget {
    return this;
  }

  takeHandshake(): ConnectionHandshake {
    return this.link.takeHandshake();
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
    this.socketGone?.();
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

  /**
   * Server shutdown: a 5.0 client is told why (DISCONNECT 0x8B, queued after whatever output
   * is still buffered), the connection closes without its will (the node, not the client,
   * ended it) and the session is saved. A CONNECT being handled is answered first (CONNACK,
   * then DISCONNECT: [MQTT-3.14.0-1] no DISCONNECT before CONNACK). Resolves once the session
   * is saved and the transport has closed the socket, i.e. flushed the DISCONNECT or gave up
   * after its bounded wait.
   */
  shutDown(): Promise<void> {
    const gone = new Promise<void>((resolve) => {
      this.socketGone = resolve;
    });
    this.shuttingDown = true;
    if (this.state === 'open') this.closeForShutdown();
    // Before CONNACK: with a CONNECT in hand open() finishes the job; without one there is nothing to say.
    else if (this.state === 'awaiting-connect' && !this.holding) this.close();
    return gone.then(() => this.handedBack);
  }

  private closeForShutdown(): void {
    this.corked(() => sendDisconnect(this, ReasonCode.serverShuttingDown));
    this.will = undefined;
    this.close();
  }

  // --- ConnectingClient: the CONNECT handler drives these ---

  settle(settings: NegotiatedSession): void {
    this.settings = settings;
    this.will = settings.will;
    this.problemInformation = settings.problemInformation;
    this.clientMaxPacketBytes = settings.clientMaxPacketBytes;
    this.outboundAliases = settings.outboundAliases;
    // Messages may arrive as soon as the session is claimed: the window must be right already.
    if (settings.clientReceiveMaximum !== undefined)
      this.outbound.limitInflight(settings.clientReceiveMaximum);
  }

  open(
    result: OpenSessionResult,
    sessionPresent: boolean,
    connack: ConnackProperties,
    permissions: ClientPermissions,
  ): void {
    const { settings } = this;
    if (!settings) throw new Error('open() before settle()');
    const state = result.protocolState as MqttProtocolState | undefined;
    sendConnack(this, ReasonCode.success, sessionPresent, connack);
    this.client = new OpenMqttClient(this, settings, result.session, permissions, state?.incomingQos2);
    // The flow is made here only when it has work; otherwise at first use (started then).
    const { queued, session } = result;
    const flow = state?.outbound || queued.length > 0 ? this.outbound : this.outboundFlow;
    this.state = 'open';
    if (flow) {
      flow.prepend(queued.map((m) => outboundOf(m, this.broker.deliveryFor(session, m))));
      flow.start(state?.outbound);
    }
    wheel.cancel(this);
    // [MQTT-3.1.2-24] the server allows one and a half times the keep-alive.
    this.keepAliveMs = settings.keepAliveSec * 1500;
    if (this.keepAliveMs > 0) this.armKeepAlive(this.keepAliveMs);
    if (this.shuttingDown) this.closeForShutdown();
  }

  // --- ConnectionControl ---

  end(keepWill: boolean): void {
    if (!keepWill) this.will = undefined;
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.link.end();
    this.teardown();
  }

  /**
   * A handler or the framer failed: refuse or disconnect as the protocol says, then close.
   * This is the connection's error boundary: whatever handling its input threw or rejected
   * with ends this connection only, never the process or another client. An error that is
   * not an MqttError is the node's own (a bug, a failing provider or store): it is logged
   * once at warn, counted (edgemq_connection_errors_total) and told to a 5.0 client as 0x83
   * Implementation specific error, without its details.
   */
  fail(error: unknown): void {
    if (this.closed) return;
    const expected = error instanceof MqttError;
    if (expected) {
      this.logger.debug({ clientId: this.clientId, err: String(error) }, 'closing MQTT connection');
    } else {
      this.broker.counters.connectionErrors++;
      this.logger.warn({ clientId: this.clientId, err: error }, 'closing MQTT connection: internal error');
    }
    const reason = expected ? error.reasonCode : ReasonCode.implementationSpecificError;
    const reasonString = expected ? error.message : undefined;
    try {
      this.corked(() => {
        if (this.state === 'open') sendDisconnect(this, reason, reasonString);
        else if (expected && error.refuseConnect) {
          sendConnack(this, reason, false, reasonString ? { reasonString } : undefined);
        }
      });
    } catch (sendError) {
      // The last word could not be encoded or written: the close below still ends it.
      this.logger.debug({ clientId: this.clientId, err: String(sendError) }, 'no DISCONNECT sent');
    }
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
    this.holding = pending
      .then(
        () => {
          this.holding = undefined;
          const backlog = this.backlog;
          while (backlog && backlog.length > 0 && !this.holding && !this.closed) {
            this.handle(backlog.shift() as Buffer);
          }
        },
        (error) => {
          this.holding = undefined;
          this.fail(error);
        },
      )
      // Nothing from this connection's input may become an unhandled rejection.
      .catch((error) => this.fail(error));
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
    const { client, settings } = this;
    this.handedBack =
      client && settings
        ? this.broker
            .closeSession(client.session, this, {
              persistent: settings.persistent,
              protocolState: settings.persistent ? this.protocolState(client) : undefined,
              expiresAtMs: sessionExpiresAtMs(settings, Date.now()),
              will,
              willDelayMs: settings.willDelaySec * 1000,
            })
            .catch((err) =>
              this.logger.warn({ clientId: settings.clientId, err: String(err) }, 'session not saved'),
            )
        : Promise.resolve();
    this.onEnded(this);
  }

  private protocolState(client: OpenMqttClient): MqttProtocolState {
    return { outbound: this.outbound.snapshot(), incomingQos2: [...(client.incomingQos2 ?? [])] };
  }
}

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
    shared = {
      maxInflight: options.maxInflight,
      maxQueued: options.maxQueuedMessages,
      overflow: options.queueOverflow,
    };
    outboundOptions.set(options, shared);
  }
  return shared;
}
