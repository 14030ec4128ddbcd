// PINGREQ: answer PINGRESP [MQTT-3.12.4-1]; the keep-alive clock was reset on receipt.
import type { OpenMqttClient } from '../open-client.js';
import { sendPingresp } from '../send.js';

export function handlePingreq(client: OpenMqttClient): undefined {
  sendPingresp(client.link);
}
