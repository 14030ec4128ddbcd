// Public surface of @edgemq/config: the node config schema, its loader and its generated docs table.
export { type EnvOverride, type EnvReading, readEnv, reservedEnvVars } from './env.js';
export { ConfigError } from './errors.js';
export { type ConfigField, configFields, envPrefix, envVarName, type FieldKind, fieldsOf } from './fields.js';
export { type ConfigFileRef, findConfigFile, readConfigFile } from './file.js';
export { type LoadConfigOptions, loadConfig } from './load.js';
export {
  configSchema,
  type EdgeConfig,
  type EdgeConfigInput,
  type HttpConfig,
  httpSchema,
  type LogLevel,
  logLevels,
  type MqttConfig,
  mqttSchema,
} from './schema.js';
export {
  configTableEnd,
  configTableStart,
  extractConfigTable,
  renderConfigTable,
  replaceConfigTable,
} from './table.js';
