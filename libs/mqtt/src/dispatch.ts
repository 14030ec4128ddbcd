// Routes each whole packet to its handler. Refuses anything before CONNECT
// [MQTT-3.1.0-1] and a second CONNECT [MQTT-3.1.0-2]. Handlers may return a promise to
// hold later packets back; errors they throw reach MqttConnection.fail(). PUBLISH and the
// acks are read by the fast codec (wire.ts); everything else by mqtt-packet (codec.ts). A
// PUBLISH's topic bytes are checked first, whichever of the two reads it.
import { decoderFor } from './codec.js';
import { precheckConnect } from './connect-precheck.js';
import type { MqttConnection } from './connection.js';
import { protocolError } from './errors.js';
import { handleConnect } from './handlers/connect.js';
import { handleDisconnect } from './handlers/disconnect.js';
import { handlePingreq } from './handlers/pingreq.js';
import { handlePuback, handlePubcomp, handlePubrec } from './handlers/puback.js';
import { handlePublish } from './handlers/publish.js';
import { handlePubrel } from './handlers/pubrel.js';
import { handleSubscribe } from './handlers/subscribe.js';
import { handleUnsubscribe } from './handlers/unsubscribe.js';
import { checkPublishTopic, decodeFast, TopicCache } from './wire.js';

const CONNECT = 1;
const PUBLISH = 3;

export function dispatch(conn: MqttConnection, bytes: Buffer): Promise<void> | undefined {
  const type = bytes[0] >> 4;
  if (conn.state === 'awaiting-connect') {
    if (type !== CONNECT) throw protocolError('first packet must be CONNECT');
    conn.version = precheckConnect(bytes);
    const packet = decoderFor(conn.version).decode(Buffer.from(bytes));
    if (packet.cmd !== 'connect') throw protocolError('first packet must be CONNECT');
    return handleConnect(conn, packet);
  }
  if (type === CONNECT) throw protocolError('second CONNECT on one connection');
  if (type === PUBLISH) {
    // One rule for the topic bytes, whichever decoder reads the packet.
    checkPublishTopic(bytes);
    if (!conn.topicCache) conn.topicCache = new TopicCache();
  }
  // `bytes` is only lent: the fast codec copies what it keeps, mqtt-packet gets its own copy.
  const packet =
    decodeFast(bytes, conn.version, conn.topicCache) ?? decoderFor(conn.version).decode(Buffer.from(bytes));
  switch (packet.cmd) {
    case 'publish':
      return handlePublish(conn, packet);
    case 'puback':
      return handlePuback(conn, packet);
    case 'pubrec':
      return handlePubrec(conn, packet);
    case 'pubrel':
      return handlePubrel(conn, packet);
    case 'pubcomp':
      return handlePubcomp(conn, packet);
    case 'subscribe':
      return handleSubscribe(conn, packet);
    case 'unsubscribe':
      return handleUnsubscribe(conn, packet);
    case 'pingreq':
      return handlePingreq(conn);
    case 'auth':
      // Enhanced authentication is never offered, so AUTH is always unexpected [MQTT-4.12.0-1].
      throw protocolError('AUTH without an authentication method');
    case 'disconnect':
      return handleDisconnect(conn, packet);
    default:
      // CONNACK, SUBACK, PINGRESP… only ever go from server to client.
      throw protocolError(`unexpected ${packet.cmd} from a client`);
  }
}
