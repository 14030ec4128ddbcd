// The aedes broker as a process of its own, for `bench --brokers aedes`: MQTT over TCP
// (`net`) and over WebSocket (`ws` + createWebSocketStream), both on free loopback ports
// that it sends to the parent over IPC. Exits when the parent goes away or on SIGTERM.
// Nagle is off on every listener, as in EdgeMQ.
//
// `--cert <pem file> --key <pem file>` adds the TLS listeners: WebSocket over TLS (the same
// `ws` server on an `https.createServer`) and MQTT over TLS (`tls.createServer`).
//
// Alone: aedes's in-memory persistence and emitter. `--redis redis://host:port` makes it a
// cluster node as aedes documents it: `aedes-persistence-redis` (sessions, subscriptions)
// and `mqemitter-redis` (messages between nodes, over Redis pub/sub) on that Redis.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import { Aedes, type AedesOptions } from 'aedes';
import persistenceRedis from 'aedes-persistence-redis';
import mqemitterRedis from 'mqemitter-redis';
import { createWebSocketStream, WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: { redis: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' } },
});
if ((values.cert === undefined) !== (values.key === undefined)) {
  throw new Error('aedes-server: --cert and --key go together');
}

function redisOptions(): AedesOptions {
  if (values.redis === undefined) return {};
  const url = new URL(values.redis);
  const conn = { host: url.hostname, port: Number(url.port || 6379), family: 4 };
  return {
    persistence: persistenceRedis(conn),
    mq: mqemitterRedis(conn),
  };
}

const broker = await Aedes.createBroker(redisOptions());
broker.on('connectionError', () => {}); // a client that vanished; the bench counts its own losses

/** MQTT over WebSocket on `server` (plain HTTP or HTTPS), binary frames, no compression. */
function serveWebSocket(server: http.Server | https.Server): WebSocketServer {
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    (ws as unknown as { _socket?: net.Socket })._socket?.setNoDelay(true);
    broker.handle(createWebSocketStream(ws), req);
  });
  return wss;
}

const tcp = net.createServer({ noDelay: true }, (socket) => broker.handle(socket));
const httpServer = http.createServer();
const webSockets = [serveWebSocket(httpServer)];
const servers: net.Server[] = [tcp, httpServer];

let tlsServers: { https: https.Server; mqtts: tls.Server } | undefined;
if (values.cert !== undefined && values.key !== undefined) {
  const credentials = { cert: readFileSync(values.cert), key: readFileSync(values.key) };
  const mqtts = tls.createServer(credentials, (socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  const httpsServer = https.createServer(credentials);
  httpsServer.on('secureConnection', (socket: tls.TLSSocket) => socket.setNoDelay(true));
  webSockets.push(serveWebSocket(httpsServer));
  servers.push(httpsServer, mqtts);
  tlsServers = { https: httpsServer, mqtts };
}

const listen = (server: net.Server) =>
  new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
const ports = {
  tcp: await listen(tcp),
  ws: await listen(httpServer),
  ...(tlsServers === undefined
    ? {}
    : { wss: await listen(tlsServers.https), mqtts: await listen(tlsServers.mqtts) }),
};
process.send?.(ports);

const shutdown = () => {
  for (const server of servers) server.close();
  for (const wss of webSockets) wss.close();
  broker.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.on('disconnect', shutdown);
