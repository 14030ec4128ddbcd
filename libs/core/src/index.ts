export type { Message, MessageOrigin, MessageProperties, QoS } from '@edgemq/backbone';
export * from './broker.js';
export * from './counters.js';
export * from './node-watch.js';
export * from './retained-index.js';
export * from './session.js';
export * from './subscription-index.js';
export * from './topic.js';
export * from './topic-index.js';
