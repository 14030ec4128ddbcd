export * from './mqtt-client.js';
export * from './redis-cluster.js';
export * from './redis-sentinel.js';
export * from './redis-server.js';
export * from './spawn-node.js';
export * from './tls-cert.js';
export * from './wait.js';
