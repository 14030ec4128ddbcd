// What CONNECT settles between client and node, as one value: the client id, the session's
// lifetime, the will, and the 5.0 limits each side announced. The CONNECT handler computes it
// from the packet and the node's options (negotiate) before anything is claimed; the
// connection then holds it for the rest of its life.
import { randomBytes } from 'node:crypto';
import { type Message, validateTopicName } from '@edgemq/core';
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet';
import { connectRefused, protocolError } from './errors.js';
import type { MqttOptions } from './options.js';
import type { ProtocolVersion } from './packet-codec.js';
import { messagePropertiesOf } from './properties.js';
import { ReasonCode } from './reason-codes.js';
import { InboundAliases, OutboundAliases } from './topic-aliases.js';

export type ConnackProperties = NonNullable<IConnackPacket['properties']>;

/** The largest packet MQTT can frame: 1 + 4 length bytes + 268,435,455 (a small integer, unlike Infinity). */
export const LARGEST_PACKET_BYTES = 268_435_460;

export interface NegotiatedSession {
  readonly version: ProtocolVersion;
  readonly clientId: string;
  /** Clean session (3.1.1) / Clean Start (5.0). */
  readonly cleanStart: boolean;
  /** The keep-alive in force: the client's, or the Server Keep Alive we impose. */
  readonly keepAliveSec: number;
  /** Keep the session after this connection ends (3.1.1 clean session 0, 5.0 expiry > 0). */
  persistent: boolean;
  /**
   * Session Expiry Interval in seconds (0xFFFFFFFF never expires): MQTT 5's, which DISCONNECT
   * may change; for a 3.1.1/3.1 persistent session the node's `persistentSessionExpirySec`.
   */
  sessionExpirySec: number;
  /** Published if the connection ends without DISCONNECT. */
  readonly will?: Message;
  /** MQTT 5 Will Delay Interval in seconds. */
  readonly willDelaySec: number;
  /** MQTT 5 Request Problem Information: reason strings allowed on acks. */
  readonly problemInformation: boolean;
  /** MQTT 5 Maximum Packet Size of the client. */
  readonly clientMaxPacketBytes: number;
  /** MQTT 5 Receive Maximum of the client: our in-flight window towards it. */
  readonly clientReceiveMaximum?: number;
  readonly inboundAliases?: InboundAliases;
  readonly outboundAliases?: OutboundAliases;
}

export interface Negotiation {
  settings: NegotiatedSession;
  /** The CONNACK properties that say what was settled (5.0). */
  connack: ConnackProperties;
}

/** Reads a decoded CONNECT against the node's options; throws the refusal CONNACK's error. */
export function negotiate(
  packet: IConnectPacket,
  version: ProtocolVersion,
  options: MqttOptions,
): Negotiation {
  const cleanStart = packet.clean !== false;
  const connack: ConnackProperties = {};
  const requested = packet.clientId;
  const clientId = chooseClientId(version, requested, cleanStart);
  if (requested.length === 0 && version === 5) connack.assignedClientIdentifier = clientId;
  const will = willOf(packet, version, clientId, options.nodeId);
  if (version !== 5) {
    const settings: NegotiatedSession = {
      version,
      clientId,
      cleanStart,
      keepAliveSec: packet.keepalive ?? 0,
      persistent: !cleanStart,
      // 3.1.1 has no expiry of its own: an abandoned session would live forever otherwise.
      sessionExpirySec: cleanStart ? 0 : options.persistentSessionExpirySec,
      will,
      willDelaySec: 0,
      problemInformation: true,
      clientMaxPacketBytes: LARGEST_PACKET_BYTES,
    };
    return { settings, connack };
  }
  return { settings: negotiateMqtt5(packet, options, connack, { clientId, cleanStart, will }), connack };
}

/** MQTT 5 CONNECT properties: limits in both directions, the keep-alive in force. */
function negotiateMqtt5(
  packet: IConnectPacket,
  options: MqttOptions,
  connack: ConnackProperties,
  base: { clientId: string; cleanStart: boolean; will?: Message },
): NegotiatedSession {
  const props = packet.properties ?? {};
  // Enhanced authentication is not offered [MQTT-3.1.2-?]: refuse with Bad authentication method.
  if (props.authenticationMethod !== undefined) {
    throw connectRefused(
      ReasonCode.badAuthenticationMethod,
      `authentication method "${props.authenticationMethod}" not supported`,
    );
  }
  const expiry = props.sessionExpiryInterval ?? 0;
  const sessionExpirySec = Math.min(expiry, options.maxSessionExpirySec);
  if (sessionExpirySec !== expiry) connack.sessionExpiryInterval = sessionExpirySec;
  // [MQTT-3.1.2-?] Receive Maximum and Maximum Packet Size of 0 are protocol errors.
  if (props.receiveMaximum === 0) throw connectRefused(ReasonCode.protocolError, 'receive maximum 0');
  if (props.maximumPacketSize === 0) throw connectRefused(ReasonCode.protocolError, 'maximum packet size 0');
  const outboundAliases =
    options.outboundTopicAliases && (props.topicAliasMaximum ?? 0) > 0
      ? new OutboundAliases(props.topicAliasMaximum ?? 0)
      : undefined;

  connack.receiveMaximum = options.receiveMaximum;
  connack.maximumPacketSize = options.maxPacketBytes;
  connack.topicAliasMaximum = options.topicAliasMaximum;
  connack.retainAvailable = true;
  connack.wildcardSubscriptionAvailable = options.wildcardSubscriptions;
  connack.subscriptionIdentifiersAvailable = options.subscriptionIdentifiers;
  connack.sharedSubscriptionAvailable = options.sharedSubscriptions;
  if (props.requestResponseInformation && options.responseInformationPrefix) {
    connack.responseInformation = `${options.responseInformationPrefix}${base.clientId}`;
  }
  let keepAliveSec = packet.keepalive ?? 0;
  const cap = options.maxKeepAliveSec;
  if (cap > 0 && (keepAliveSec === 0 || keepAliveSec > cap)) {
    // [MQTT-3.2.2-21] the client must use the Server Keep Alive we send.
    keepAliveSec = cap;
    connack.serverKeepAlive = cap;
  }
  return {
    version: 5,
    ...base,
    keepAliveSec,
    persistent: sessionExpirySec > 0,
    sessionExpirySec,
    willDelaySec: packet.will?.properties?.willDelayInterval ?? 0,
    problemInformation: props.requestProblemInformation !== false,
    clientMaxPacketBytes: props.maximumPacketSize ?? LARGEST_PACKET_BYTES,
    clientReceiveMaximum: props.receiveMaximum,
    inboundAliases: new InboundAliases(options.topicAliasMaximum),
    outboundAliases,
  };
}

function chooseClientId(version: ProtocolVersion, requested: string, clean: boolean): string {
  if (requested.length > 0) return requested;
  // 3.1 requires an id; 3.1.1 lets the server assign one to a clean session [MQTT-3.1.3-6/-8];
  // 5.0 assigns one in any case and says which [MQTT-3.2.2-16].
  if (version === 3 || (version === 4 && !clean)) {
    throw connectRefused(ReasonCode.clientIdentifierNotValid, 'empty client id needs clean session');
  }
  return `edgemq-${randomBytes(8).toString('hex')}`;
}

function willOf(
  packet: IConnectPacket,
  version: ProtocolVersion,
  clientId: string,
  nodeId: string,
): Message | undefined {
  const will = packet.will;
  if (!will) return undefined;
  if (!validateTopicName(will.topic)) throw protocolError(`invalid will topic "${will.topic}"`);
  const properties = version === 5 ? messagePropertiesOf(will.properties) : undefined;
  return {
    topic: will.topic,
    payload: Buffer.isBuffer(will.payload) ? will.payload : Buffer.from(will.payload ?? ''),
    qos: will.qos ?? 0,
    retain: will.retain ?? false,
    ...(properties ? { properties } : {}),
    origin: { nodeId, clientId },
    createdAtMs: Date.now(),
  };
}

/** The Session Expiry Interval that means "never expires" (MQTT 5 §3.1.2.11.2). */
export const NEVER_EXPIRES_SEC = 0xffffffff;

/** How long the session outlives the connection, as the broker stores it (null = never). */
export function sessionExpiryMs(settings: NegotiatedSession): number | null {
  if (!settings.persistent) return 0;
  return settings.sessionExpirySec === NEVER_EXPIRES_SEC ? null : settings.sessionExpirySec * 1000;
}

/** When a session parked at `nowMs` may be discarded (null = never), at every protocol level. */
export function sessionExpiresAtMs(settings: NegotiatedSession, nowMs: number): number | null {
  const expiryMs = sessionExpiryMs(settings);
  return expiryMs === null ? null : nowMs + expiryMs;
}
