// What a node reports about itself: /healthz answers it, /metrics reads it at scrape time.

export interface NodeStatus {
  nodeId: string;
  /** Bound ports by listener name (`http`, `wss`, and each protocol's: `mqtt`, `mqtts`…). */
  ports: Record<string, number>;
  /** What clients connect to, one URL per protocol and listener. */
  endpoints: string[];
  ready: boolean;
  backbone: string;
  /** Open connections over every protocol. */
  connections: number;
  /** Per protocol, by name: its open connections and its endpoints. */
  protocols: Record<string, { connections: number; endpoints: string[] }>;
  sessions: number;
  subscriptions: number;
  counters: Record<string, number>;
}
