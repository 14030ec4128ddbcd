// The message model every layer shares: what a protocol publishes, what the backbone
// stores and carries between nodes, what core routes. It depends on nothing.
export * from './message.js';
