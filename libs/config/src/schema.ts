// The node config as one zod schema: one strict sub-schema per subsystem, defaults and units in the schema.
import { z } from 'zod';

const int = (min: number, max?: number) => {
  const base = z.number().int().min(min);
  return max === undefined ? base : base.max(max);
};

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const httpSchema = z
  .object({
    port: int(0, 65535).default(8083).describe('HTTP/WebSocket listen port (0 = any free port)'),
    maxPayloadBytes: int(1).default(1_048_576).describe('Largest WebSocket message accepted, in bytes'),
    // uWebSockets.js aborts the whole process on any other idle timeout: refuse it here instead.
    idleTimeoutSec: int(0, 960)
      .refine(
        (sec) => sec === 0 || sec >= 8,
        'must be 0 (no timeout) or 8..960: the range uWebSockets.js accepts',
      )
      .default(120)
      .describe('Seconds a WebSocket may stay silent before it is closed: 0 (never) or 8..960'),
    maxBackpressureBytes: int(0)
      .default(1_048_576)
      .describe('Bytes buffered per WebSocket before QoS 0 messages to it are dropped'),
  })
  .strict();

export const mqttSchema = z
  .object({
    port: int(0, 65535).default(1883).describe('MQTT over TCP listen port (0 = any free port)'),
    maxPacketBytes: int(1, 268_435_455).default(1_048_576).describe('Largest MQTT packet accepted, in bytes'),
    maxTopicLevels: int(1, 65535)
      .default(128)
      .describe(
        'Most levels in a topic name or filter (a shared filter counts its inner filter), like EMQX `max_topic_levels`; deeper ones are refused (PUBLISH 0x90, SUBSCRIBE 0x8F, will 0x90)',
      ),
    maxTopicLength: int(1, 65535)
      .default(4096)
      .describe(
        'Longest topic name or filter, in UTF-8 bytes (MQTT allows 65535); bounds what one topic costs in the match cache, the retained index and the log. Longer ones are refused like deeper ones',
      ),
    maxKeepAliveSec: int(0, 65535)
      .default(0)
      .describe('Cap on the keep-alive a client may ask for (0 = no cap)'),
    maxInflight: int(1, 65535)
      .default(100)
      .describe('Unacknowledged QoS 1/2 messages out to one client at once'),
    maxQueuedMessages: int(1)
      .default(1000)
      .describe(
        'QoS 1/2 messages that may arrive and wait for a session (offline, or online but behind) before `queueOverflow` applies; messages recovered for it after a node death or handover are not counted',
      ),
    queueOverflow: z
      .enum(['dropOldest', 'dropNewest'])
      .default('dropOldest')
      .describe(
        'What a session queue past `maxQueuedMessages` gives up: its oldest waiting message (EMQX) or the arriving one (Mosquitto); drops are counted (edgemq_dropped_queue_overflow_total)',
      ),
    maxBufferedBytes: int(0)
      .default(1_048_576)
      .describe('Bytes buffered per TCP connection before QoS 0 messages to it are dropped'),
    connectTimeoutMs: int(1).default(10_000).describe('Time allowed between socket open and CONNECT'),
    receiveMaximum: int(1, 65535)
      .default(1000)
      .describe(
        'MQTT 5 Receive Maximum: unacknowledged QoS 1/2 PUBLISHes a client may have towards the node',
      ),
    topicAliasMaximum: int(0, 65535)
      .default(16)
      .describe('MQTT 5 topic aliases a client may use towards the node (0 = none)'),
    outboundTopicAliases: z
      .boolean()
      .default(false)
      .describe('Use topic aliases towards MQTT 5 clients that allow them'),
    maxSessionExpirySec: int(0, 4_294_967_295)
      .default(4_294_967_295)
      .describe(
        'Cap on the MQTT 5 session expiry interval a client may ask for (4294967295 = never expires)',
      ),
    persistentSessionExpirySec: int(1, 4_294_967_295)
      .default(7200)
      .describe(
        "Seconds an MQTT 3.1.1/3.1 persistent session (clean session 0) outlives its client's last connection, like Mosquitto's `persistent_client_expiration` (4294967295 = never expires). 2 hours by default, as in EMQX, so abandoned client ids do not keep their session and queue forever",
      ),
    sharedSubscriptions: z.boolean().default(true).describe('Allow `$share/{group}/{filter}` subscriptions'),
    subscriptionIdentifiers: z.boolean().default(true).describe('Allow MQTT 5 subscription identifiers'),
    wildcardSubscriptions: z.boolean().default(true).describe('Allow `+` and `#` in subscription filters'),
    responseInformationPrefix: z
      .string()
      .default('response/')
      .describe(
        'Response Information given to MQTT 5 clients that request it: this prefix + client id (empty = none)',
      ),
  })
  .strict();

export const redisSchema = z
  .object({
    url: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Redis URL (`redis://host:port`); set it to run clustered, leave it out for the in-process backbone',
      ),
    mode: z
      .enum(['standalone', 'cluster', 'sentinel'])
      .default('standalone')
      .describe(
        '`cluster` for Redis Cluster, `sentinel` for a Sentinel-managed master: the url then lists seed nodes or sentinels, `redis://h1:p1,h2:p2`',
      ),
    sentinelName: z
      .string()
      .min(1)
      .default('mymaster')
      .describe('`sentinel` mode: the master name the sentinels monitor'),
    keyPrefix: z.string().min(1).default('emq').describe('Prefix of every Redis key'),
    shards: int(1, 1024)
      .default(8)
      .describe('Log streams (shards); every node of a cluster must use the same number'),
    logMaxLen: int(1000).default(100_000).describe('Approximate entries kept per log stream (XADD MAXLEN ~)'),
    blockTimeMs: int(10, 60_000).default(1000).describe('How long one log read (XREAD BLOCK) waits'),
    heartbeatMs: int(100, 60_000).default(1000).describe('How often a node records that it is alive'),
    nodeDeadAfterMs: int(500)
      .default(10_000)
      .describe('A node silent this long is dead: a survivor publishes its wills and adopts its sessions'),
  })
  .strict();

export const tlsSchema = z
  .object({
    certFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'PEM certificate (chain) file; with `keyFile` it opens the `wss://` and `mqtts://` listeners',
      ),
    keyFile: z.string().min(1).optional().describe('PEM private key file of `certFile`'),
    passphrase: z.string().optional().describe('Passphrase of an encrypted `keyFile`'),
    wssPort: int(0, 65535).default(8084).describe('HTTPS/WebSocket-over-TLS listen port (0 = any free port)'),
    mqttsPort: int(0, 65535).default(8883).describe('MQTT over TLS listen port (0 = any free port)'),
  })
  .strict()
  .refine((tls) => (tls.certFile === undefined) === (tls.keyFile === undefined), {
    message: 'tls.certFile and tls.keyFile go together: set both, or neither',
  });

export const configSchema = z
  .object({
    nodeId: z.string().min(1).optional().describe('Node id in the cluster; generated when absent'),
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Address to bind (`localhost` means IPv4 and IPv6 loopback)'),
    logLevel: z.enum(logLevels).default('info').describe('Least severe log level written'),
    http: httpSchema.prefault({}).describe('HTTP and WebSocket listener'),
    mqtt: mqttSchema.prefault({}).describe('MQTT over TCP listener and session limits'),
    redis: redisSchema.prefault({}).describe('Cluster backbone on Redis'),
    tls: tlsSchema
      .prefault({})
      .describe('TLS listeners (wss://, mqtts://), off until a certificate is given'),
    shutdownTimeoutMs: int(0).default(5000).describe('Time allowed for a graceful shutdown before exit'),
  })
  .strict();

/** The config as the app sees it: every default applied. */
export type EdgeConfig = z.infer<typeof configSchema>;
/** The config as written in a file or built in a test: every field with a default is optional. */
export type EdgeConfigInput = z.input<typeof configSchema>;
export type HttpConfig = EdgeConfig['http'];
export type MqttConfig = EdgeConfig['mqtt'];
export type TlsConfig = EdgeConfig['tls'];
export type LogLevel = EdgeConfig['logLevel'];
