// Routes each whole packet to its handler. Refuses anything before CONNECT
// [MQTT-3.1.0-1] and a second CONNECT [MQTT-3.1.0-2]. Handlers may return a promise to
// hold later packets back; errors they throw reach MqttConnection.fail(). PUBLISH and the
// acks are read by the fast codec (wire.ts); everything else by mqtt-packet (codec.ts). The
// UTF-8 strings of PUBLISH (topic), CONNECT (client id, will topic, user name), SUBSCRIBE and
// UNSUBSCRIBE (topic filters) are checked on their bytes first [MQTT-1.5.4-1] [MQTT-1.5.4-2]:
// both decoders would read ill-formed UTF-8 as U+FFFD.
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
import { checkConnectStrings, checkTopicFilters } from './utf8-check.js';
import { checkPublishTopic, decodeFast, TopicCache } from './wire.js';

const CONNECT = 1;
const PUBLISH = 3;
const SUBSCRIBE = 8;
const UNSUBSCRIBE = 10;

export function dispatch(conn: MqttConnection, bytes: Buffer): Promise<void> | undefined {
  const type = bytes[0] >> 4;
  if (conn.state === 'awaiting-connect') {
    if (type !== CONNECT) throw protocolError('first packet must be CONNECT');
    conn.version = precheckConnect(bytes);
    checkConnectStrings(bytes, conn.version);
    const packet = decoderFor(conn.version).decode(Buffer.from(bytes));
    if (packet.cmd !== 'connect') throw protocolError('first packet must be CONNECT');
    return handleConnect(conn, packet);
  }
  if (type === CONNECT) throw protocolError('second CONNECT on one connection');
  if (type === PUBLISH) {
    // One rule for the topic bytes, whichever decoder reads the packet.
    checkPublishTopic(bytes);
    if (!conn.topicCache) conn.topicCache = new TopicCache();
  } else if (type === SUBSCRIBE || type === UNSUBSCRIBE) checkTopicFilters(bytes, conn.version);
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
