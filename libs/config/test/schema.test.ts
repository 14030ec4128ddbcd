// The schema's defaults, limits and the env var names derived by walking it.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configFields, configSchema, envVarName, fieldsOf, loadConfig } from '../src/index.js';

const defaults = {
  host: '127.0.0.1',
  logLevel: 'info',
  http: { port: 8083, maxPayloadBytes: 1_048_576, idleTimeoutSec: 120, maxBackpressureBytes: 1_048_576 },
  mqtt: {
    port: 1883,
    maxPacketBytes: 1_048_576,
    maxKeepAliveSec: 0,
    maxInflight: 100,
    maxTopicLevels: 128,
    maxTopicLength: 4096,
    maxQueuedMessages: 1000,
    queueOverflow: 'dropOldest',
    maxBufferedBytes: 1_048_576,
    connectTimeoutMs: 10_000,
    receiveMaximum: 1000,
    topicAliasMaximum: 16,
    outboundTopicAliases: false,
    maxSessionExpirySec: 4_294_967_295,
    persistentSessionExpirySec: 7200,
    sharedSubscriptions: true,
    subscriptionIdentifiers: true,
    wildcardSubscriptions: true,
    responseInformationPrefix: 'response/',
  },
  redis: {
    mode: 'standalone',
    sentinelName: 'mymaster',
    keyPrefix: 'emq',
    shards: 8,
    logMaxLen: 100_000,
    blockTimeMs: 1000,
    heartbeatMs: 1000,
    nodeDeadAfterMs: 10_000,
  },
  tls: { wssPort: 8084, mqttsPort: 8883 },
  shutdownTimeoutMs: 5000,
};

describe('schema', () => {
  it('applies every default to an empty config, nodeId left absent', () => {
    expect(configSchema.parse({})).toEqual(defaults);
    expect(configSchema.parse({}).nodeId).toBeUndefined();
  });

  it('loadConfig with no file and no EDGEMQ_* variables returns the defaults', () => {
    expect(loadConfig({ argv: [], env: { PATH: '/bin' } })).toEqual(defaults);
  });

  it('fills defaults inside a partly given section', () => {
    expect(configSchema.parse({ mqtt: { port: 1 } }).mqtt).toEqual({ ...defaults.mqtt, port: 1 });
  });

  it('accepts port 0 and refuses port 70000', () => {
    expect(configSchema.parse({ http: { port: 0 }, mqtt: { port: 0 } }).mqtt.port).toBe(0);
    expect(configSchema.safeParse({ mqtt: { port: 70000 } }).success).toBe(false);
    expect(configSchema.safeParse({ http: { port: 70000 } }).success).toBe(false);
  });

  it('refuses unknown keys at every level', () => {
    expect(configSchema.safeParse({ hots: 'x' }).success).toBe(false);
    expect(configSchema.safeParse({ mqtt: { prot: 1 } }).success).toBe(false);
  });

  it('describes every field', () => {
    for (const field of configFields) expect(field.description, field.key).not.toBe('');
  });
});

describe('env var names', () => {
  it('are EDGEMQ_ + the key path in SCREAMING_SNAKE_CASE', () => {
    const byKey = Object.fromEntries(configFields.map((f) => [f.key, f.envVar]));
    expect(byKey).toMatchObject({
      nodeId: 'EDGEMQ_NODE_ID',
      host: 'EDGEMQ_HOST',
      logLevel: 'EDGEMQ_LOG_LEVEL',
      'http.port': 'EDGEMQ_HTTP_PORT',
      'mqtt.port': 'EDGEMQ_MQTT_PORT',
      'mqtt.maxPacketBytes': 'EDGEMQ_MQTT_MAX_PACKET_BYTES',
      'mqtt.maxKeepAliveSec': 'EDGEMQ_MQTT_MAX_KEEP_ALIVE_SEC',
    });
    expect(envVarName(['redis', 'blockTimeMs'])).toBe('EDGEMQ_REDIS_BLOCK_TIME_MS');
  });

  it('come for free for a new field, typed from its schema', () => {
    const schema = z.object({
      redis: z.object({ tlsEnabled: z.boolean().default(false).describe('use TLS') }).prefault({}),
    });
    expect(fieldsOf(schema)).toMatchObject([
      { key: 'redis.tlsEnabled', envVar: 'EDGEMQ_REDIS_TLS_ENABLED', kind: 'boolean', defaultValue: false },
    ]);
  });

  it('refuse a schema where two keys share a variable', () => {
    const schema = z.object({
      httpPort: z.number().describe('a'),
      http: z.object({ port: z.number().describe('b') }),
    });
    expect(() => fieldsOf(schema)).toThrow(/httpPort and http\.port both map to EDGEMQ_HTTP_PORT/);
  });

  it('refuse an undescribed field', () => {
    expect(() => fieldsOf(z.object({ a: z.number() }))).toThrow(/a has no \.describe\(\)/);
  });
});
