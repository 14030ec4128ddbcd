export * from './byte-connection.js';
export * from './http-routes.js';
export * from './protocol-selection.js';
export * from './protocol-server.js';
export { TcpServer, type TcpServerOptions } from './tcp-server.js';
export * from './timer-wheel.js';
export type { TlsFiles } from './tls-files.js';
export { isNativeUws, loadUws, NativeUwsUnavailableError } from './uws.js';
export { WsServer, type WsServerOptions } from './ws-server.js';
