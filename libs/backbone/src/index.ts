export * from './message.js';
export * from './backbone.js';
export { MemoryBackbone, type MemoryBackboneOptions } from './memory/memory-backbone.js';
