// Which protocol a WebSocket upgrade asks for, as LavinMQ documents it:
// 1. a Sec-WebSocket-Protocol token starting with `mqtt` or `amqp` (case-insensitive) wins,
//    and that token is echoed in the 101 response;
// 2. otherwise the path: `/mqtt` and `/ws/mqtt` select MQTT, anything else AMQP.

export type WsProtocol = 'mqtt' | 'amqp';

export interface ProtocolChoice {
  protocol: WsProtocol;
  /** The offered token to echo back, if the choice came from Sec-WebSocket-Protocol. */
  token?: string;
}

const MQTT_PATHS = new Set(['/mqtt', '/ws/mqtt']);

export function selectProtocol(secWebSocketProtocol: string, path: string): ProtocolChoice {
  const tokens = secWebSocketProtocol
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  for (const token of tokens) {
    const lower = token.toLowerCase();
    if (lower.startsWith('mqtt')) return { protocol: 'mqtt', token };
    if (lower.startsWith('amqp')) return { protocol: 'amqp', token };
  }
  const cleanPath = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return { protocol: MQTT_PATHS.has(cleanPath) ? 'mqtt' : 'amqp' };
}
