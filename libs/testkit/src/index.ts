export * from './mqtt-client.js';
export * from './spawn-node.js';
export * from './wait.js';
