export type { NodeStatus } from './http-api.js';
export { createLogger, type Logger } from './logger.js';
export { type EdgeNode, startNode } from './node.js';
