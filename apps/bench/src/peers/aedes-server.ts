// The aedes broker as a process of its own, for `bench --brokers aedes`: MQTT over TCP
// (`net`) and over WebSocket (`ws` + createWebSocketStream), both on free loopback ports
// that it sends to the parent over IPC. Exits when the parent goes away or on SIGTERM.
// Nagle is off on both, as in EdgeMQ.
//
// Alone: aedes's in-memory persistence and emitter. `--redis redis://host:port` makes it a
// cluster node as aedes documents it: `aedes-persistence-redis` (sessions, subscriptions)
// and `mqemitter-redis` (messages between nodes, over Redis pub/sub) on that Redis.
import http from 'node:http';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { Aedes, type AedesOptions } from 'aedes';
import persistenceRedis from 'aedes-persistence-redis';
import mqemitterRedis from 'mqemitter-redis';
import { createWebSocketStream, WebSocketServer } from 'ws';

const { values } = parseArgs({ options: { redis: { type: 'string' } } });

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

const tcp = net.createServer({ noDelay: true }, (socket) => broker.handle(socket));
const httpServer = http.createServer();
const wss = new WebSocketServer({ server: httpServer, perMessageDeflate: false });
wss.on('connection', (ws, req) => {
  (ws as unknown as { _socket?: net.Socket })._socket?.setNoDelay(true);
  broker.handle(createWebSocketStream(ws), req);
});

const listen = (server: net.Server | http.Server) =>
  new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
const ports = { tcp: await listen(tcp), ws: await listen(httpServer) };
process.send?.(ports);

const shutdown = () => {
  tcp.close();
  wss.close();
  httpServer.close();
  broker.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.on('disconnect', shutdown);
