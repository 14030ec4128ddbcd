// CONNECT: settle what the client asked for against the node's options (negotiate), ask
// access control who it is (authenticate, and may its will be published), claim the session
// (taking it over from an older connection), answer CONNACK, then resume what the session
// had in flight.
import { ClientPermissions, type ConnectInfo } from '@edgemq/access';
import type { IConnectPacket } from 'mqtt-packet';
import { connectRefused, MqttError } from '../errors.js';
import type { ConnectingClient } from '../handler-context.js';
import { type NegotiatedSession, negotiate, sessionExpiryMs } from '../negotiated-session.js';
import { type MqttProtocolState, parkedState } from '../protocol-state.js';
import { ReasonCode } from '../reason-codes.js';
import { topicNameBreach } from '../topic-limits.js';

export async function handleConnect(conn: ConnectingClient, packet: IConnectPacket): Promise<void> {
  const { settings, connack } = negotiate(packet, conn.version, conn.options);
  if (settings.will) checkWillTopicLimits(conn, settings.will.topic);
  const permissions = await authenticate(conn, packet, settings);
  if (conn.closed) return; // gone while access control answered: nothing was claimed
  conn.settle(settings);
  const { broker } = conn;
  const result = await broker.openSession({
    clientId: settings.clientId,
    cleanStart: settings.cleanStart,
    persistent: settings.persistent,
    target: conn.deliveryTarget,
    sessionExpiryMs: sessionExpiryMs(settings),
    will: settings.will,
  });
  if (conn.closed) {
    // The socket went away while the session was being claimed: hand it straight back, with
    // what it had taken from its queue (or replayed) kept for the next connection.
    const { session } = result;
    await broker.closeSession(session, conn.deliveryTarget, {
      protocolState: parkedState(result.protocolState as MqttProtocolState | undefined, result.queued, (m) =>
        broker.deliveryFor(session, m),
      ),
      expiresAtMs: null,
    });
    return;
  }
  // [MQTT-3.2.2-1] a clean session never reports a present session.
  const present = !settings.cleanStart && result.present;
  conn.corked(() => conn.open(result, present, connack, permissions));
}

/**
 * A will topic past mqtt.maxTopicLevels / mqtt.maxTopicLength is refused before anything is
 * asked or claimed: 5.0 CONNACK 0x90 Topic Name invalid ("the Will Topic Name is not
 * malformed, but is not accepted by this Server"); 3.1.1 has no return code for it, so the
 * connection is closed without a CONNACK.
 */
function checkWillTopicLimits(conn: ConnectingClient, topic: string): void {
  const breach = topicNameBreach(topic, conn.options);
  if (breach !== undefined) {
    throw new MqttError(ReasonCode.topicNameInvalid, `will ${breach}`, conn.version === 5);
  }
}

/**
 * The access seam's connect step: who is this, and may its will be published? A refusal is
 * a CONNACK: 0x86 / 0x87 at 5.0, 0x04 / 0x05 at 3.1.1 [MQTT-3.2.2-6].
 */
async function authenticate(
  conn: ConnectingClient,
  packet: IConnectPacket,
  settings: NegotiatedSession,
): Promise<ClientPermissions> {
  const { access } = conn;
  const result = await access.authenticate(connectInfoOf(conn, packet, settings));
  if (!result.allowed) {
    const code =
      result.reason === 'bad-credentials' ? ReasonCode.badUsernameOrPassword : ReasonCode.notAuthorized;
    throw connectRefused(code, result.message ?? 'not authorized');
  }
  const permissions = new ClientPermissions(access, result.client);
  if (settings.will && !(await permissions.mayPublish(settings.will.topic))) {
    throw connectRefused(ReasonCode.notAuthorized, `will topic "${settings.will.topic}" not authorized`);
  }
  return permissions;
}

function connectInfoOf(
  conn: ConnectingClient,
  packet: IConnectPacket,
  settings: NegotiatedSession,
): ConnectInfo {
  const info: ConnectInfo = { ...conn.takeHandshake(), protocol: 'mqtt', clientId: settings.clientId };
  if (packet.username !== undefined) info.username = packet.username;
  if (packet.password !== undefined) info.password = Buffer.from(packet.password);
  return info;
}
