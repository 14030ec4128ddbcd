// CONNECT: validate, choose the client id, claim the session (taking it over from an
// older connection), answer CONNACK, then resume what the session had in flight.
import { randomBytes } from 'node:crypto';
import type { Message } from '@edgemq/backbone';
import { validateTopicName } from '@edgemq/core';
import type { IConnectPacket } from 'mqtt-packet';
import type { MqttConnection, MqttProtocolState } from '../connection.js';
import { connectRefused, protocolError } from '../errors.js';
import { ReasonCode } from '../reason-codes.js';

export async function handleConnect(conn: MqttConnection, packet: IConnectPacket): Promise<void> {
  conn.state = 'connecting';
  const clean = packet.clean !== false;
  conn.clientId = chooseClientId(conn, packet.clientId, clean);
  conn.will = willOf(conn, packet);
  conn.persistentSession = !clean;

  const result = await conn.broker.openSession({
    clientId: conn.clientId,
    cleanStart: clean,
    persistent: conn.persistentSession,
    target: conn,
  });
  if (conn.closed) {
    // The socket went away while the session was being claimed: hand it straight back.
    await conn.broker.closeSession(result.session, conn, {
      protocolState: result.protocolState,
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
      packet.keepalive ?? 0,
      result.protocolState as MqttProtocolState | undefined,
      result.queued,
    ),
  );
}

function chooseClientId(conn: MqttConnection, requested: string, clean: boolean): string {
  if (requested.length > 0) return requested;
  // 3.1 requires an id; 3.1.1 lets the server assign one to a clean session [MQTT-3.1.3-6/-8].
  if (conn.version === 3 || !clean) {
    throw connectRefused(ReasonCode.clientIdentifierNotValid, 'empty client id needs clean session');
  }
  return `edgemq-${randomBytes(8).toString('hex')}`;
}

function willOf(conn: MqttConnection, packet: IConnectPacket): Message | undefined {
  const will = packet.will;
  if (!will) return undefined;
  if (!validateTopicName(will.topic)) throw protocolError(`invalid will topic "${will.topic}"`);
  return {
    topic: will.topic,
    payload: Buffer.isBuffer(will.payload) ? will.payload : Buffer.from(will.payload ?? ''),
    qos: will.qos ?? 0,
    retain: will.retain ?? false,
    origin: { nodeId: conn.options.nodeId, clientId: conn.clientId },
    createdAtMs: Date.now(),
  };
}
