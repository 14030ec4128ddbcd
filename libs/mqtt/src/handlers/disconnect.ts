// DISCONNECT from the client: a clean goodbye, so the will is discarded [MQTT-3.14.4-3].
import type { MqttConnection } from '../connection.js';

export function handleDisconnect(conn: MqttConnection): undefined {
  conn.disconnectedByClient();
}
