// Routes each whole packet to its handler. Refuses anything before CONNECT
// [MQTT-3.1.0-1] and a second CONNECT [MQTT-3.1.0-2]. Handlers may return a promise to
// hold later packets back; errors they throw reach MqttConnection.fail(). PUBLISH and the
// acks are read by the fast codec (fast-codec.ts); everything else by mqtt-packet (packet-codec.ts). The
// UTF-8 strings of PUBLISH (topic), CONNECT (client id, will topic, user name), SUBSCRIBE and
// UNSUBSCRIBE (topic filters) are checked on their bytes first [MQTT-1.5.4-1] [MQTT-1.5.4-2]:
// both decoders would read ill-formed UTF-8 as U+FFFD.

import { precheckConnect } from './connect-precheck.js';
import { protocolError } from './errors.js';
import { checkPublishTopic, decodeFast, TopicCache } from './fast-codec.js';
import type { ConnectingClient } from './handler-context.js';
import { handlePuback, handlePubcomp, handlePubrec } from './handlers/acks.js';
import { handleConnect } from './handlers/connect.js';
import { handleDisconnect } from './handlers/disconnect.js';
import { handlePingreq } from './handlers/pingreq.js';
import { handlePublish } from './handlers/publish.js';
import { handlePubrel } from './handlers/pubrel.js';
import { handleSubscribe } from './handlers/subscribe.js';
import { handleUnsubscribe } from './handlers/unsubscribe.js';
import type { OpenMqttClient } from './open-client.js';
import type { ProtocolVersion } from './packet-codec.js';
import { decoderFor } from './packet-codec.js';
import { checkConnectStrings, checkTopicFilters } from './utf8-check.js';

const CONNECT = 1;
const PUBLISH = 3;
const SUBSCRIBE = 8;
const UNSUBSCRIBE = 10;

/** A connection as the dispatcher sees it: before CONNACK a ConnectingClient, after it an open client. */
export interface Dispatchable extends ConnectingClient {
  /** Set here from the CONNECT packet's protocol level. */
  version: ProtocolVersion;
  readonly client?: OpenMqttClient;
}

export function dispatch(conn: Dispatchable, bytes: Buffer): Promise<void> | undefined {
  const type = bytes[0] >> 4;
  const client = conn.client;
  if (!client) {
    // Later packets wait while CONNECT is handled, so only CONNECT itself gets here.
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
    if (!client.topicCache) client.topicCache = new TopicCache();
  } else if (type === SUBSCRIBE || type === UNSUBSCRIBE) checkTopicFilters(bytes, conn.version);
  // `bytes` is only lent: the fast codec copies what it keeps, mqtt-packet gets its own copy.
  const packet =
    decodeFast(bytes, conn.version, client.topicCache) ?? decoderFor(conn.version).decode(Buffer.from(bytes));
  switch (packet.cmd) {
    case 'publish':
      return handlePublish(client, packet);
    case 'puback':
      return handlePuback(client, packet);
    case 'pubrec':
      return handlePubrec(client, packet);
    case 'pubrel':
      return handlePubrel(client, packet);
    case 'pubcomp':
      return handlePubcomp(client, packet);
    case 'subscribe':
      return handleSubscribe(client, packet);
    case 'unsubscribe':
      return handleUnsubscribe(client, packet);
    case 'pingreq':
      return handlePingreq(client);
    case 'auth':
      // Enhanced authentication is never offered, so AUTH is always unexpected [MQTT-4.12.0-1].
      throw protocolError('AUTH without an authentication method');
    case 'disconnect':
      return handleDisconnect(client, packet);
    default:
      // CONNACK, SUBACK, PINGRESP… only ever go from server to client.
      throw protocolError(`unexpected ${packet.cmd} from a client`);
  }
}
