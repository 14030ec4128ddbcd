// PINGREQ: answer PINGRESP [MQTT-3.12.4-1]; the keep-alive clock was reset on receipt.
import type { MqttConnection } from '../connection.js';
import { sendPingresp } from '../send.js';

export function handlePingreq(conn: MqttConnection): undefined {
  sendPingresp(conn);
}
