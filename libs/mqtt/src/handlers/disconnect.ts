// DISCONNECT from the client: a clean goodbye discards the will [MQTT-3.14.4-3], unless
// 5.0 reason 0x04 asks for it. 5.0 may change the session expiry, but not from 0
// [MQTT-3.14.2-2].
import type { IDisconnectPacket } from 'mqtt-packet';
import type { MqttConnection } from '../connection.js';
import { protocolError } from '../errors.js';
import { ReasonCode } from '../reason-codes.js';

export function handleDisconnect(conn: MqttConnection, packet: IDisconnectPacket): undefined {
  if (conn.version === 5) {
    const expiry = packet.properties?.sessionExpiryInterval;
    if (expiry !== undefined) {
      if (conn.sessionExpirySec === 0 && expiry > 0) {
        throw protocolError('session expiry cannot be set at DISCONNECT when it was 0 at CONNECT');
      }
      conn.sessionExpirySec = Math.min(expiry, conn.options.maxSessionExpirySec);
      conn.persistentSession = conn.sessionExpirySec > 0;
    }
    if (packet.reasonCode === ReasonCode.disconnectWithWill) {
      conn.close(); // the will stays and is published as for an unexpected close
      return;
    }
  }
  conn.disconnectedByClient();
}
