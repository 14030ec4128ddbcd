// Where a client connects and reconnects: its home node first, then the others in turn.
// MQTT.js walks this list (`servers`) on every reconnect, so a client whose node is gone
// lands on another one.
import type { IClientOptions } from 'mqtt';
import type { ChaosCluster } from '../cluster/chaos-cluster.js';
import type { Transport } from './client-kind.js';

export const HOST = '127.0.0.1';
export const WS_PATH = '/mqtt';

export function serverList(cluster: ChaosCluster, home: number, transport: Transport): IClientOptions {
  const nodes = cluster.nodes;
  const servers = nodes.map((_, i) => {
    const node = nodes[(home + i) % nodes.length];
    return transport === 'ws'
      ? { host: HOST, port: node.httpPort, protocol: 'ws' as const }
      : { host: HOST, port: node.tcpPort, protocol: 'mqtt' as const };
  });
  return { servers, path: WS_PATH };
}
