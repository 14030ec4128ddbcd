export { type ConnectionLogger, MqttConnection } from './connection.js';
export { Framer } from './framer.js';
export type { MqttOptions } from './options.js';
export type { MqttProtocolState } from './protocol-state.js';
export { ConnackReturnCode, ReasonCode } from './reason-codes.js';
export { MqttServer } from './server.js';
