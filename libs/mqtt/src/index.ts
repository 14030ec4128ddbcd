export { type ConnectionLogger, MqttConnection, type MqttProtocolState } from './connection.js';
export { Framer } from './framer.js';
export type { MqttOptions } from './options.js';
export { ConnackReturnCode, ReasonCode } from './reason-codes.js';
export { MqttServer } from './server.js';
