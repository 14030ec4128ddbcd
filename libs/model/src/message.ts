// The protocol-neutral message: what every protocol publishes into and every node reads
// from the backbone. MQTT topics (`a/b/c`) are the canonical form; other protocols map
// their routing keys onto them.

export type QoS = 0 | 1 | 2;

/** Properties a message carries end to end (MQTT 5 names; other protocols map onto them). */
export interface MessageProperties {
  payloadFormatIndicator?: number;
  /** Seconds, as published; the remaining interval is derived from `createdAtMs`. */
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  /** Kept as ordered pairs: MQTT 5 requires the order to survive [MQTT-3.3.2-18]. */
  userProperties?: Array<[string, string]>;
}

export interface MessageOrigin {
  nodeId: string;
  clientId: string;
  /** Publish sequence of the origin node: with nodeId it names the message cluster-wide. */
  seq?: number;
}

export interface Message {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: MessageProperties;
  origin: MessageOrigin;
  /** Wall-clock time the broker accepted it; message expiry counts from here. */
  createdAtMs: number;
}

/** True once a message's expiry interval has run out at `nowMs`. */
export function isExpired(message: Message, nowMs: number): boolean {
  const interval = message.properties?.messageExpiryInterval;
  return interval !== undefined && nowMs >= message.createdAtMs + interval * 1000;
}
