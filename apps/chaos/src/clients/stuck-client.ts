// A client that never acknowledges: a raw MQTT 3.1.1 connection that subscribes at QoS 1
// and then only counts the QoS 1 PUBLISHes it gets, never sending PUBACK (and, with keep-alive
// 0, nothing at all). The broker must stop at its in-flight limit for this client and
// keep serving everyone else.
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

export class StuckClient {
  private unacknowledged = 0;
  private subscribed = false;

  private constructor(private readonly socket: Socket) {}

  static open(host: string, port: number, clientId: string, filter: string): Promise<StuckClient> {
    const socket = connect({ host, port });
    const client = new StuckClient(socket);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('stuck client: no SUBACK within 5 s')), 5000);
      socket.once('error', reject);
      parser.on('packet', (packet) => {
        if (packet.cmd === 'connack') {
          socket.write(
            mqttPacket.generate({
              cmd: 'subscribe',
              messageId: 1,
              subscriptions: [{ topic: filter, qos: 1 }],
            }),
          );
        } else if (packet.cmd === 'suback') {
          client.subscribed = true;
          clearTimeout(timer);
          resolve(client);
        } else if (packet.cmd === 'publish' && packet.qos > 0) {
          client.unacknowledged++; // QoS 0 needs no answer and takes no in-flight slot
        }
      });
      socket.on('data', (chunk) => parser.parse(chunk));
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clientId,
          clean: true,
          keepalive: 0,
        }),
      );
    });
  }

  /** QoS 1 PUBLISHes received, none of them acknowledged. */
  get unacknowledgedCount(): number {
    return this.unacknowledged;
  }

  get connected(): boolean {
    return this.subscribed && !this.socket.destroyed;
  }

  close(): void {
    this.socket.destroy();
  }
}
