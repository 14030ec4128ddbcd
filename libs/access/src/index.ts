export * from './access-control.js';
export * from './client-permissions.js';
