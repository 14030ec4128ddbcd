// The message model every layer shares: what a protocol publishes, what the backbone
// stores and carries between nodes, what core routes. It depends on nothing. Also the
// long timer every layer uses for delays that come from outside (long-timeout.ts).
export * from './long-timeout.js';
export * from './message.js';
