// MQTT 5 PUBLISH / will properties ↔ the protocol-neutral MessageProperties. mqtt-packet
// represents user properties as an object (repeated keys become arrays), so pairs are
// kept in key order and, within a key, in the order sent.
import type { Message, MessageProperties } from '@edgemq/backbone';
import type { UserProperties } from 'mqtt-packet';

export interface PublishProperties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  topicAlias?: number;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: UserProperties;
  subscriptionIdentifier?: number | number[];
  contentType?: string;
}

export function toUserPairs(props: UserProperties | undefined): Array<[string, string]> | undefined {
  if (!props) return undefined;
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(props)) {
    if (Array.isArray(value)) for (const v of value) pairs.push([key, String(v)]);
    else pairs.push([key, String(value)]);
  }
  return pairs.length > 0 ? pairs : undefined;
}

export function fromUserPairs(pairs: Array<[string, string]>): UserProperties {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of pairs) {
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[key] = [existing, value];
  }
  return out;
}

/** Properties a client put on a PUBLISH or will that travel with the message. */
export function messagePropertiesOf(props: PublishProperties | undefined): MessageProperties | undefined {
  if (!props) return undefined;
  const out: MessageProperties = {};
  if (props.payloadFormatIndicator !== undefined)
    out.payloadFormatIndicator = props.payloadFormatIndicator ? 1 : 0;
  if (props.messageExpiryInterval !== undefined) out.messageExpiryInterval = props.messageExpiryInterval;
  if (props.contentType !== undefined) out.contentType = props.contentType;
  if (props.responseTopic !== undefined) out.responseTopic = props.responseTopic;
  if (props.correlationData !== undefined) out.correlationData = Buffer.from(props.correlationData);
  const user = toUserPairs(props.userProperties);
  if (user) out.userProperties = user;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Properties for a PUBLISH to a 5.0 client. The expiry is what remains of the interval
 * [MQTT-3.3.2-6]; undefined when the message has already expired.
 */
export function publishPropertiesFor(
  message: Message,
  subscriptionIds: number[],
  nowMs: number,
): PublishProperties | undefined | null {
  const p = message.properties;
  const out: PublishProperties = {};
  if (p) {
    if (p.messageExpiryInterval !== undefined) {
      const remaining = p.messageExpiryInterval - Math.floor((nowMs - message.createdAtMs) / 1000);
      if (remaining <= 0) return null;
      out.messageExpiryInterval = remaining;
    }
    if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator === 1;
    if (p.contentType !== undefined) out.contentType = p.contentType;
    if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
    if (p.correlationData !== undefined) out.correlationData = p.correlationData;
    if (p.userProperties) out.userProperties = fromUserPairs(p.userProperties);
  }
  if (subscriptionIds.length === 1) out.subscriptionIdentifier = subscriptionIds[0];
  else if (subscriptionIds.length > 1) out.subscriptionIdentifier = subscriptionIds;
  return Object.keys(out).length > 0 ? out : undefined;
}
