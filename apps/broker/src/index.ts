export { createLogger, type Logger } from './logger.js';
export { type EdgeNode, type NodeOptions, startNode } from './node.js';
export type { NodeStatus } from './node-status.js';
