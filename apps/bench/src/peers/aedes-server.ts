// The aedes broker as a process of its own, for `bench --brokers aedes`: in-memory
// persistence, MQTT over TCP (`net`) and over WebSocket (`ws` + createWebSocketStream),
// both on free loopback ports that it sends to the parent over IPC. Exits when the parent
// goes away or on SIGTERM. Nagle is off on both, as in EdgeMQ.
import http from 'node:http';
import net from 'node:net';
import { Aedes } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';

const broker = await Aedes.createBroker();
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
