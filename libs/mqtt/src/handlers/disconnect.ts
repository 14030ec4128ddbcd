// DISCONNECT from the client: a clean goodbye discards the will [MQTT-3.14.4-3], unless
// 5.0 reason 0x04 asks for it. 5.0 may change the session expiry, but not from 0
// [MQTT-3.14.2-2].
import type { IDisconnectPacket } from 'mqtt-packet';
import { protocolError } from '../errors.js';
import type { OpenMqttClient } from '../open-client.js';
import { ReasonCode } from '../reason-codes.js';

export function handleDisconnect(client: OpenMqttClient, packet: IDisconnectPacket): undefined {
  const { settings } = client;
  if (settings.version === 5) {
    const expiry = packet.properties?.sessionExpiryInterval;
    if (expiry !== undefined) {
      if (settings.sessionExpirySec === 0 && expiry > 0) {
        throw protocolError('session expiry cannot be set at DISCONNECT when it was 0 at CONNECT');
      }
      settings.sessionExpirySec = Math.min(expiry, client.link.options.maxSessionExpirySec);
      settings.persistent = settings.sessionExpirySec > 0;
    }
  }
  // 5.0 reason 0x04 keeps the will: it is published as for an unexpected close.
  client.disconnectedByClient(settings.version === 5 && packet.reasonCode === ReasonCode.disconnectWithWill);
}
