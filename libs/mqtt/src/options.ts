// What the MQTT layer needs to know from config.

import type { QueueOverflow } from '@edgemq/core';

export interface MqttOptions {
  nodeId: string;
  /** MQTT over TCP (0 = any free port). */
  port: number;
  /** MQTT over TLS, when the node has a certificate (0 = any free port). */
  tlsPort: number;
  /** Bytes buffered per TCP connection before write() reports full. */
  maxBufferedBytes: number;
  maxPacketBytes: number;
  /** Most levels in a topic name or filter (a shared filter: its inner filter). */
  maxTopicLevels: number;
  /** Longest topic name or filter, in UTF-8 bytes. */
  maxTopicLength: number;
  /** 0 = no cap. */
  maxKeepAliveSec: number;
  maxInflight: number;
  maxQueuedMessages: number;
  /** What a full session queue gives up. */
  queueOverflow: QueueOverflow;
  connectTimeoutMs: number;
  /** MQTT 5 Receive Maximum we announce and enforce. */
  receiveMaximum: number;
  /** MQTT 5 Topic Alias Maximum we announce (client → node). */
  topicAliasMaximum: number;
  /** Use topic aliases towards 5.0 clients that allow them. */
  outboundTopicAliases: boolean;
  maxSessionExpirySec: number;
  /** Session expiry of a 3.1.1/3.1 clean-session-0 session, in seconds (0xFFFFFFFF = never). */
  persistentSessionExpirySec: number;
  sharedSubscriptions: boolean;
  subscriptionIdentifiers: boolean;
  wildcardSubscriptions: boolean;
  /** '' = never give Response Information. */
  responseInformationPrefix: string;
}
