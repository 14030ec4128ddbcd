// CONNECT: settle what the client asked for against the node's options (negotiate), claim
// the session (taking it over from an older connection), answer CONNACK, then resume what
// the session had in flight.
import type { IConnectPacket } from 'mqtt-packet';
import type { ConnectingClient } from '../handler-context.js';
import { negotiate, sessionExpiryMs } from '../negotiated-session.js';
import { type MqttProtocolState, parkedState } from '../protocol-state.js';

export async function handleConnect(conn: ConnectingClient, packet: IConnectPacket): Promise<void> {
  const { settings, connack } = negotiate(packet, conn.version, conn.options);
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
  conn.corked(() => conn.open(result, present, connack));
}
