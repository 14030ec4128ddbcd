// ConfigError messages: each names key path, source, expected type and received value; all listed at once.
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/index.js';
import { configError, removeTempDirs, writeConfig } from './helpers.js';

afterAll(removeTempDirs);

const fromFile = (name: string, text: string) => {
  const path = writeConfig(name, text);
  return { path, err: configError(() => loadConfig({ argv: ['--config', path], env: {} })) };
};
const fromEnv = (env: Record<string, string>) => configError(() => loadConfig({ argv: [], env }));

describe('ConfigError', () => {
  it('is an Error named ConfigError', () => {
    const err = fromEnv({ EDGEMQ_HTTP_PORT: 'abc' });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.name).toBe('ConfigError');
    expect(err.problems).toHaveLength(1);
  });

  it('names the key path of an unknown key in the file, and the file', () => {
    const { path, err } = fromFile('edgemq.yaml', 'mqtt:\n  prot: 1884\n');
    expect(err.message).toBe(`unknown key "mqtt.prot" (in ${path}); did you mean "port"?`);
  });

  it('refuses a TLS certificate without its key', () => {
    expect(fromEnv({ EDGEMQ_TLS_CERT_FILE: '/etc/edgemq/cert.pem' }).message).toBe(
      'tls: tls.certFile and tls.keyFile go together: set both, or neither (from EDGEMQ_TLS_CERT_FILE)',
    );
  });

  it('refuses an EDGEMQ_ variable that maps to no key', () => {
    expect(fromEnv({ EDGEMQ_MQTT_PROT: '1' }).message).toBe(
      'unknown environment variable "EDGEMQ_MQTT_PROT": it maps to no config key; did you mean "EDGEMQ_MQTT_PORT"?',
    );
    expect(fromEnv({ EDGEMQ_MQTT: '1' }).message).toContain('"EDGEMQ_MQTT"');
  });

  it('names key, expected type and value for a wrong type in the file', () => {
    const { path, err } = fromFile('edgemq.json', '{"mqtt": {"port": "abc"}}');
    expect(err.message).toBe(`mqtt.port: expected integer 0..65535, got "abc" (in ${path})`);
  });

  it('names key, expected type, value and variable for a wrong type in the environment', () => {
    expect(fromEnv({ EDGEMQ_MQTT_PORT: 'abc' }).message).toBe(
      'mqtt.port: expected integer 0..65535, got "abc" (from EDGEMQ_MQTT_PORT)',
    );
    expect(fromEnv({ EDGEMQ_MQTT_MAX_INFLIGHT: '1.5' }).message).toBe(
      'mqtt.maxInflight: expected integer 1..65535, got "1.5" (from EDGEMQ_MQTT_MAX_INFLIGHT)',
    );
    expect(fromEnv({ EDGEMQ_LOG_LEVEL: 'loud' }).message).toBe(
      'logLevel: expected one of fatal, error, warn, info, debug, trace, silent, got "loud" (from EDGEMQ_LOG_LEVEL)',
    );
  });

  it('refuses port 70000 from file and environment', () => {
    const { path, err } = fromFile('edgemq.yaml', 'http:\n  port: 70000\n');
    expect(err.message).toBe(`http.port: expected integer 0..65535, got 70000 (in ${path})`);
    expect(fromEnv({ EDGEMQ_MQTT_PORT: '70000' }).message).toBe(
      'mqtt.port: expected integer 0..65535, got "70000" (from EDGEMQ_MQTT_PORT)',
    );
  });

  it('names a section that is not an object', () => {
    const { path, err } = fromFile('edgemq.yaml', 'http: 8083\n');
    expect(err.message).toBe(`http: expected object, got 8083 (in ${path})`);
  });

  it('blames the environment when it overrides a bad file value, the file otherwise', () => {
    const path = writeConfig('edgemq.yaml', 'mqtt:\n  port: 70000\nhttp:\n  port: -1\n');
    const err = configError(() =>
      loadConfig({ argv: ['--config', path], env: { EDGEMQ_MQTT_PORT: '99999' } }),
    );
    expect(err.problems).toEqual([
      `http.port: expected integer 0..65535, got -1 (in ${path})`,
      'mqtt.port: expected integer 0..65535, got "99999" (from EDGEMQ_MQTT_PORT)',
    ]);
  });

  it('lists several problems from file and environment together, one per line', () => {
    const path = writeConfig('edgemq.yaml', 'hots: x\nmqtt:\n  port: 70000\n  maxInflight: 0\n');
    const err = configError(() =>
      loadConfig({ argv: ['--config', path], env: { EDGEMQ_HTTP_PORT: 'abc', EDGEMQ_HTPP_PORT: '1' } }),
    );
    expect(err.problems).toHaveLength(5);
    expect(err.message.split('\n')).toEqual(err.problems);
    expect(err.problems).toEqual(
      expect.arrayContaining([
        `unknown key "hots" (in ${path}); did you mean "host"?`,
        `mqtt.port: expected integer 0..65535, got 70000 (in ${path})`,
        `mqtt.maxInflight: expected integer 1..65535, got 0 (in ${path})`,
        'http.port: expected integer 0..65535, got "abc" (from EDGEMQ_HTTP_PORT)',
        expect.stringContaining('"EDGEMQ_HTPP_PORT"'),
      ]),
    );
  });

  it('still reports environment problems when the file cannot be read', () => {
    const err = configError(() =>
      loadConfig({ argv: ['--config', '/nonexistent/edgemq.yaml'], env: { EDGEMQ_MQTT_PORT: 'x' } }),
    );
    expect(err.problems).toHaveLength(2);
    expect(err.problems[0]).toContain('/nonexistent/edgemq.yaml');
    expect(err.problems[1]).toContain('EDGEMQ_MQTT_PORT');
  });
});
