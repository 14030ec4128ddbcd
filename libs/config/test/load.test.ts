// loadConfig: where the file comes from, and defaults < file < environment.
import { basename, dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldsOf, loadConfig, readEnv, reservedEnvVars } from '../src/index.js';
import { configError, removeTempDirs, writeConfig } from './helpers.js';

afterAll(removeTempDirs);

const yaml = 'host: 0.0.0.0\nlogLevel: debug\nmqtt:\n  port: 1884\n  maxInflight: 10\n';

describe('config file', () => {
  it('overrides defaults and keeps the defaults it does not set (YAML)', () => {
    const path = writeConfig('edgemq.yaml', yaml);
    const config = loadConfig({ argv: ['--config', path], env: {} });
    expect(config.host).toBe('0.0.0.0');
    expect(config.logLevel).toBe('debug');
    expect(config.mqtt).toMatchObject({ port: 1884, maxInflight: 10, maxPacketBytes: 1_048_576 });
    expect(config.http.port).toBe(8083);
  });

  it('reads .yml and JSON files', () => {
    const yml = writeConfig('edgemq.yml', 'http:\n  port: 9000\n');
    expect(loadConfig({ argv: [`--config=${yml}`], env: {} }).http.port).toBe(9000);
    const json = writeConfig('edgemq.json', JSON.stringify({ nodeId: 'n1', http: { idleTimeoutSec: 30 } }));
    const config = loadConfig({ argv: ['--config', json], env: {} });
    expect(config.nodeId).toBe('n1');
    expect(config.http.idleTimeoutSec).toBe(30);
  });

  it('resolves a relative path against cwd', () => {
    const path = writeConfig('edgemq.yaml', yaml);
    expect(loadConfig({ argv: ['--config', basename(path)], env: {}, cwd: dirname(path) }).mqtt.port).toBe(
      1884,
    );
  });

  it('treats an empty file as an empty config', () => {
    const path = writeConfig('empty.yaml', '');
    expect(loadConfig({ argv: ['--config', path], env: {} }).mqtt.port).toBe(1883);
  });

  it('is taken from EDGEMQ_CONFIG when --config is absent', () => {
    const path = writeConfig('edgemq.yaml', yaml);
    expect(loadConfig({ argv: [], env: { EDGEMQ_CONFIG: path } }).mqtt.port).toBe(1884);
  });

  it('prefers --config to EDGEMQ_CONFIG', () => {
    const fromArg = writeConfig('a.yaml', 'mqtt:\n  port: 1\n');
    const fromEnv = writeConfig('b.yaml', 'mqtt:\n  port: 2\n');
    expect(loadConfig({ argv: ['--config', fromArg], env: { EDGEMQ_CONFIG: fromEnv } }).mqtt.port).toBe(1);
  });

  it('refuses a missing file, naming its path', () => {
    const path = `${dirname(writeConfig('x.yaml', ''))}/missing.yaml`;
    const err = configError(() => loadConfig({ argv: ['--config', path], env: {} }));
    expect(err.name).toBe('ConfigError');
    expect(err.message).toContain(path);
    expect(err.message).toContain('cannot read');
  });

  it('refuses a file that does not parse, naming path and line', () => {
    const path = writeConfig('bad.yaml', 'mqtt:\n  port: 1\n  port: 2\n');
    expect(configError(() => loadConfig({ argv: ['--config', path], env: {} })).message).toMatch(
      new RegExp(`${path}.*line 3`),
    );
  });

  it('refuses an unsupported extension, and --config without a path', () => {
    const path = writeConfig('edgemq.toml', 'x = 1');
    expect(configError(() => loadConfig({ argv: ['--config', path], env: {} })).message).toContain(
      'unsupported extension',
    );
    expect(configError(() => loadConfig({ argv: ['--config'], env: {} })).message).toBe(
      '--config needs a file path',
    );
  });

  it('refuses a file whose top level is not a mapping', () => {
    const path = writeConfig('list.yaml', '- 1\n- 2\n');
    expect(configError(() => loadConfig({ argv: ['--config', path], env: {} })).message).toContain(
      'expected a mapping',
    );
  });
});

describe('environment', () => {
  it('overrides the file, which overrides defaults', () => {
    const path = writeConfig('edgemq.yaml', yaml);
    const config = loadConfig({
      argv: ['--config', path],
      env: { EDGEMQ_MQTT_PORT: '2883', EDGEMQ_LOG_LEVEL: 'warn', EDGEMQ_NODE_ID: 'node-7' },
    });
    expect(config.mqtt.port).toBe(2883);
    expect(config.mqtt.maxInflight).toBe(10);
    expect(config.logLevel).toBe('warn');
    expect(config.host).toBe('0.0.0.0');
    expect(config.nodeId).toBe('node-7');
  });

  it('converts numbers, and port 0 is accepted', () => {
    const config = loadConfig({
      argv: [],
      env: { EDGEMQ_HTTP_PORT: '0', EDGEMQ_MQTT_MAX_PACKET_BYTES: '2048' },
    });
    expect(config.http.port).toBe(0);
    expect(config.mqtt.maxPacketBytes).toBe(2048);
  });

  it('treats an empty variable as unset and ignores variables without the prefix', () => {
    const config = loadConfig({ argv: [], env: { EDGEMQ_HTTP_PORT: '', HOST: 'x', EDGEMQ_CONFIG: '' } });
    expect(config.http.port).toBe(8083);
    expect(config.host).toBe('127.0.0.1');
  });

  it('converts booleans by the field type', () => {
    const fields = fieldsOf(z.object({ tls: z.boolean().default(false).describe('use TLS') }));
    expect(readEnv({ EDGEMQ_TLS: 'true' }, fields).overrides[0].value).toBe(true);
    expect(readEnv({ EDGEMQ_TLS: '0' }, fields).overrides[0].value).toBe(false);
    expect(readEnv({ EDGEMQ_TLS: 'maybe' }, fields).problems).toEqual([
      'tls: expected boolean, got "maybe" (from EDGEMQ_TLS)',
    ]);
  });

  it('keeps EDGEMQ_CONFIG reserved', () => {
    expect(reservedEnvVars.has('EDGEMQ_CONFIG')).toBe(true);
  });
});
