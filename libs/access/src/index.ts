export type { ConnectionHandshake, PeerCertificate } from '@edgemq/transport';
export * from './access-control.js';
export * from './client-permissions.js';
