// MQTT 5 PUBLISH / will properties ↔ the protocol-neutral MessageProperties. mqtt-packet
// represents user properties as an object (repeated keys become arrays), so pairs are
// kept in key order and, within a key, in the order sent.
import type { Message, MessageProperties } from '@edgemq/core';
import type { UserProperties } from 'mqtt-packet';
import { uintValue } from './property-values.js';

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

/** Properties of a PUBLISH to a 5.0 client, user properties as ordered pairs (for fast-codec.ts). */
export interface OutgoingPublishProperties extends Omit<PublishProperties, 'userProperties'> {
  userProperties?: Array<[string, string]>;
}

/**
 * Properties for a PUBLISH to a 5.0 client. The expiry is what remains of the interval
 * [MQTT-3.3.2-6]; undefined when there are none, null when the message has already expired.
 */
export function publishPropertiesFor(
  message: Message,
  subscriptionIds: readonly number[],
  nowMs: number,
): OutgoingPublishProperties | undefined | null {
  const p = message.properties;
  const out: OutgoingPublishProperties = {};
  let any = false;
  if (p) {
    // Stored values are read as the encoder reads them (property-values.ts): one of the
    // wrong shape is left out, never thrown on.
    const expiry = uintValue(p.messageExpiryInterval, 0xffffffff);
    if (expiry !== undefined) {
      const remaining = expiry - Math.floor((nowMs - message.createdAtMs) / 1000);
      if (remaining <= 0) return null;
      out.messageExpiryInterval = remaining;
      any = true;
    }
    if (p.payloadFormatIndicator !== undefined) {
      out.payloadFormatIndicator = p.payloadFormatIndicator === 1;
      any = true;
    }
    if (p.contentType !== undefined) {
      out.contentType = p.contentType;
      any = true;
    }
    if (p.responseTopic !== undefined) {
      out.responseTopic = p.responseTopic;
      any = true;
    }
    if (p.correlationData !== undefined) {
      out.correlationData = p.correlationData;
      any = true;
    }
    if (p.userProperties && p.userProperties.length > 0) {
      // Kept in the order published [MQTT-3.3.2-18], one key repeated or not.
      out.userProperties = p.userProperties;
      any = true;
    }
  }
  if (subscriptionIds.length === 1) out.subscriptionIdentifier = subscriptionIds[0];
  else if (subscriptionIds.length > 1) out.subscriptionIdentifier = [...subscriptionIds];
  return any || subscriptionIds.length > 0 ? out : undefined;
}
