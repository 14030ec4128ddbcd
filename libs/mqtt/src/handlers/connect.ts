// CONNECT: validate, choose the client id, settle the 5.0 limits of both sides, claim the
// session (taking it over from an older connection), answer CONNACK, then resume what the
// session had in flight.
import { randomBytes } from 'node:crypto';
import type { Message } from '@edgemq/core';
import { validateTopicName } from '@edgemq/core';
import type { IConnectPacket } from 'mqtt-packet';
import { type MqttConnection, type MqttProtocolState, parkedState } from '../connection.js';
import { connectRefused, protocolError } from '../errors.js';
import { messagePropertiesOf } from '../properties.js';
import { ReasonCode } from '../reason-codes.js';
import type { ConnackProperties } from '../send.js';
import { InboundAliases, OutboundAliases } from '../topic-aliases.js';

export async function handleConnect(conn: MqttConnection, packet: IConnectPacket): Promise<void> {
  conn.state = 'connecting';
  const clean = packet.clean !== false;
  const connack: ConnackProperties = {};
  const requested = packet.clientId;
  conn.clientId = chooseClientId(conn, requested, clean);
  if (requested.length === 0 && conn.version === 5) connack.assignedClientIdentifier = conn.clientId;
  conn.will = willOf(conn, packet);
  const keepAliveSec = conn.version === 5 ? settleMqtt5(conn, packet, connack) : (packet.keepalive ?? 0);
  conn.persistentSession = conn.version === 5 ? conn.sessionExpirySec > 0 : !clean;

  const result = await conn.broker.openSession({
    clientId: conn.clientId,
    cleanStart: clean,
    persistent: conn.persistentSession,
    target: conn,
    sessionExpiryMs: sessionExpiryMs(conn),
    will: conn.will,
  });
  if (conn.closed) {
    // The socket went away while the session was being claimed: hand it straight back, with
    // what it had taken from its queue (or replayed) kept for the next connection.
    const { session } = result;
    await conn.broker.closeSession(session, conn, {
      protocolState: parkedState(result.protocolState as MqttProtocolState | undefined, result.queued, (m) =>
        conn.broker.deliveryFor(session, m),
      ),
      expiresAtMs: null,
    });
    return;
  }
  conn.session = result.session;
  // [MQTT-3.2.2-1] a clean session never reports a present session.
  const present = !clean && result.present;
  conn.corked(() =>
    conn.opened(
      present,
      keepAliveSec,
      result.protocolState as MqttProtocolState | undefined,
      result.queued,
      connack,
    ),
  );
}

/** How long the session outlives the connection, as the broker stores it (null = never). */
function sessionExpiryMs(conn: MqttConnection): number | null {
  if (conn.version !== 5) return conn.persistentSession ? null : 0;
  return conn.sessionExpirySec === 0xffffffff ? null : conn.sessionExpirySec * 1000;
}

/** MQTT 5 CONNECT properties: limits in both directions; returns the keep-alive in force. */
function settleMqtt5(conn: MqttConnection, packet: IConnectPacket, connack: ConnackProperties): number {
  const props = packet.properties ?? {};
  const options = conn.options;
  // Enhanced authentication is not offered [MQTT-3.1.2-?]: refuse with Bad authentication method.
  if (props.authenticationMethod !== undefined) {
    throw connectRefused(
      ReasonCode.badAuthenticationMethod,
      `authentication method "${props.authenticationMethod}" not supported`,
    );
  }
  const expiry = props.sessionExpiryInterval ?? 0;
  conn.sessionExpirySec = Math.min(expiry, options.maxSessionExpirySec);
  if (conn.sessionExpirySec !== expiry) connack.sessionExpiryInterval = conn.sessionExpirySec;
  // [MQTT-3.1.2-?] Receive Maximum and Maximum Packet Size of 0 are protocol errors.
  if (props.receiveMaximum === 0) throw connectRefused(ReasonCode.protocolError, 'receive maximum 0');
  if (props.maximumPacketSize === 0) throw connectRefused(ReasonCode.protocolError, 'maximum packet size 0');
  if (props.receiveMaximum !== undefined) conn.outbound.limitInflight(props.receiveMaximum);
  conn.problemInformation = props.requestProblemInformation !== false;
  if (props.maximumPacketSize !== undefined) conn.clientMaxPacketBytes = props.maximumPacketSize;
  if (options.outboundTopicAliases && (props.topicAliasMaximum ?? 0) > 0) {
    conn.outboundAliases = new OutboundAliases(props.topicAliasMaximum ?? 0);
  }
  conn.inboundAliases = new InboundAliases(options.topicAliasMaximum);
  conn.willDelaySec = packet.will?.properties?.willDelayInterval ?? 0;

  connack.receiveMaximum = options.receiveMaximum;
  connack.maximumPacketSize = options.maxPacketBytes;
  connack.topicAliasMaximum = options.topicAliasMaximum;
  connack.retainAvailable = true;
  connack.wildcardSubscriptionAvailable = options.wildcardSubscriptions;
  connack.subscriptionIdentifiersAvailable = options.subscriptionIdentifiers;
  connack.sharedSubscriptionAvailable = options.sharedSubscriptions;
  if (props.requestResponseInformation && options.responseInformationPrefix) {
    connack.responseInformation = `${options.responseInformationPrefix}${conn.clientId}`;
  }
  let keepAlive = packet.keepalive ?? 0;
  const cap = options.maxKeepAliveSec;
  if (cap > 0 && (keepAlive === 0 || keepAlive > cap)) {
    // [MQTT-3.2.2-21] the client must use the Server Keep Alive we send.
    keepAlive = cap;
    connack.serverKeepAlive = cap;
  }
  return keepAlive;
}

function chooseClientId(conn: MqttConnection, requested: string, clean: boolean): string {
  if (requested.length > 0) return requested;
  // 3.1 requires an id; 3.1.1 lets the server assign one to a clean session [MQTT-3.1.3-6/-8];
  // 5.0 assigns one in any case and says which [MQTT-3.2.2-16].
  if (conn.version === 3 || (conn.version === 4 && !clean)) {
    throw connectRefused(ReasonCode.clientIdentifierNotValid, 'empty client id needs clean session');
  }
  return `edgemq-${randomBytes(8).toString('hex')}`;
}

function willOf(conn: MqttConnection, packet: IConnectPacket): Message | undefined {
  const will = packet.will;
  if (!will) return undefined;
  if (!validateTopicName(will.topic)) throw protocolError(`invalid will topic "${will.topic}"`);
  const properties = conn.version === 5 ? messagePropertiesOf(will.properties) : undefined;
  return {
    topic: will.topic,
    payload: Buffer.isBuffer(will.payload) ? will.payload : Buffer.from(will.payload ?? ''),
    qos: will.qos ?? 0,
    retain: will.retain ?? false,
    ...(properties ? { properties } : {}),
    origin: { nodeId: conn.options.nodeId, clientId: conn.clientId },
    createdAtMs: Date.now(),
  };
}
