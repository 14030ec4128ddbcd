// UNSUBSCRIBE: remove each filter; 5.0 reports per filter whether it existed.
import type { IUnsubscribePacket } from 'mqtt-packet';
import type { MqttConnection } from '../connection.js';
import { ReasonCode } from '../reason-codes.js';
import { sendUnsuback } from '../send.js';

export async function handleUnsubscribe(conn: MqttConnection, packet: IUnsubscribePacket): Promise<void> {
  const session = conn.session!;
  const removed = await Promise.all(
    packet.unsubscriptions.map((filter) => conn.broker.unsubscribe(session, filter)),
  );
  const codes = removed.map((r) => (r ? ReasonCode.success : ReasonCode.noSubscriptionExisted));
  conn.corked(() => sendUnsuback(conn, packet.messageId ?? 0, codes));
}
