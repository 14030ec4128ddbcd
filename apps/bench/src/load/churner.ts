// Subscription churn beside a load, two ways. ConnectionChurner: clients that connect at a
// steady rate, subscribe a few filters no traffic matches, stay a moment and leave (clean
// session, so leaving removes the subscriptions): what a broker sees from browsers opening
// and closing tabs. ResubscribeChurner: a few long-lived clients that subscribe new
// unmatched filters and unsubscribe old ones at a steady rate: the same index changes
// without the cost of connections, so what they cost the matching of live traffic shows.
import mqttPacket from 'mqtt-packet';
import { connectPacket, disconnectPacket, subscribePacket } from './packets.js';
import { unrelatedFilter } from './plan.js';
import { type Endpoint, openWire, type Wire } from './wire.js';

export interface Churner {
  start(): void;
  /** Stops, closes its connections, and reports the rate achieved. */
  stop(): ChurnFigures;
}

export interface ChurnSettings {
  /** New connections per second. */
  connectionsPerSec: number;
  /** Filters each subscribes (half wildcard, half exact; see unrelatedFilter). */
  filtersPerConnection: number;
  /** How long each stays after its SUBACK. */
  holdMs: number;
  /** Filter numbers start here, past any the run's other subscriptions use. */
  firstFilter: number;
}

export interface ChurnFigures {
  /** Connections that subscribed and left (or SUBSCRIBE/UNSUBSCRIBE pairs sent) while the churn ran. */
  completed: number;
  /** Subscribe + unsubscribe changes per second the broker saw (2 per filter per connection). */
  changesPerSec: number;
  failed: number;
}

const TICK_MS = 10;

/** Calls `step` at `perSec` on average: each tick as often as the time since start owes (catching up after a slow one). */
class Pacer {
  private timer?: NodeJS.Timeout;
  private startedAt = 0;
  /** Steps taken so far. */
  count = 0;

  constructor(
    private readonly perSec: number,
    private readonly step: () => void,
  ) {}

  start(): void {
    this.startedAt = performance.now();
    this.timer = setInterval(() => {
      const due = Math.floor(((performance.now() - this.startedAt) / 1000) * this.perSec);
      while (this.count < due) {
        this.count++;
        this.step();
      }
    }, TICK_MS);
  }

  /** Stops stepping; returns the seconds it ran. */
  stop(): number {
    clearInterval(this.timer);
    return (performance.now() - this.startedAt) / 1000;
  }
}

export class ConnectionChurner implements Churner {
  private readonly pacer: Pacer;
  private completed = 0;
  private failed = 0;
  private nextFilter: number;
  private readonly live = new Set<Wire>();

  constructor(
    private readonly endpoint: Endpoint,
    private readonly settings: ChurnSettings,
  ) {
    this.nextFilter = settings.firstFilter;
    this.pacer = new Pacer(settings.connectionsPerSec, () => {
      this.visit(this.pacer.count).catch(() => {
        this.failed++;
      });
    });
  }

  start(): void {
    this.pacer.start();
  }

  /** Stops arrivals, closes who is still there, and reports the rate achieved. */
  stop(): ChurnFigures {
    const seconds = this.pacer.stop();
    for (const wire of this.live) wire.close();
    this.live.clear();
    const changes = this.completed * this.settings.filtersPerConnection * 2;
    return {
      completed: this.completed,
      changesPerSec: seconds > 0 ? changes / seconds : 0,
      failed: this.failed,
    };
  }

  /** Connection number `n` arrives, subscribes, stays and leaves. */
  private async visit(n: number): Promise<void> {
    const wire = await openWire(this.endpoint);
    this.live.add(wire);
    const filters = Array.from({ length: this.settings.filtersPerConnection }, () =>
      unrelatedFilter(this.nextFilter++),
    );
    await new Promise<void>((resolve, reject) => {
      let subacked = false;
      wire.onData((chunk) => {
        // CONNACK (0x20 …) then SUBACK (first byte 0x90); small, they may share a chunk.
        if (!subacked && chunk.includes(0x90)) {
          subacked = true;
          setTimeout(() => {
            if (wire.writable) wire.write(disconnectPacket());
            wire.close();
          }, this.settings.holdMs);
        }
      });
      wire.onClose(() => (subacked ? resolve() : reject(new Error('closed before SUBACK'))));
      wire.write(Buffer.concat([connectPacket(`churn-${n}`, 0), subscribePacket(1, filters, 0)]));
    });
    this.live.delete(wire);
    this.completed++;
  }
}

export interface ResubscribeSettings {
  /** Subscription changes per second (a SUBSCRIBE and an UNSUBSCRIBE are two). */
  changesPerSec: number;
  /** Long-lived connections the changes are spread over. */
  connections: number;
  /** Filters each holds before it unsubscribes its oldest for every new one. */
  held: number;
  firstFilter: number;
}

export class ResubscribeChurner implements Churner {
  private readonly pacer: Pacer;
  private nextFilter: number;
  private readonly clients: Array<{ wire: Wire; filters: string[]; packetId: number }> = [];

  private constructor(private readonly settings: ResubscribeSettings) {
    this.nextFilter = settings.firstFilter;
    // Each step is a SUBSCRIBE and (once a client holds enough) an UNSUBSCRIBE: two changes.
    this.pacer = new Pacer(settings.changesPerSec / 2, () => this.step());
  }

  /** Connects the long-lived clients (CONNACK read) before the churn starts. */
  static async connect(endpoint: Endpoint, settings: ResubscribeSettings): Promise<ResubscribeChurner> {
    const churner = new ResubscribeChurner(settings);
    for (let i = 0; i < settings.connections; i++) {
      const wire = await openWire(endpoint);
      await new Promise<void>((resolve, reject) => {
        let acked = false;
        wire.onData(() => {
          if (!acked) {
            acked = true;
            resolve();
          }
        });
        wire.onClose(() => reject(new Error('closed before CONNACK')));
        wire.write(connectPacket(`resubscribe-${i}`, 0));
      });
      churner.clients.push({ wire, filters: [], packetId: 0 });
    }
    return churner;
  }

  start(): void {
    this.pacer.start();
  }

  stop(): ChurnFigures {
    const seconds = this.pacer.stop();
    for (const { wire } of this.clients) wire.close();
    const steps = this.pacer.count;
    return { completed: steps, changesPerSec: seconds > 0 ? (steps * 2) / seconds : 0, failed: 0 };
  }

  /** One step: a new filter on the next client, and its oldest one dropped once it holds enough. */
  private step(): void {
    const client = this.clients[this.pacer.count % this.clients.length];
    if (!client.wire.writable) return;
    const filter = unrelatedFilter(this.nextFilter++);
    client.filters.push(filter);
    client.wire.write(subscribePacket(nextId(client), [filter], 0));
    if (client.filters.length > this.settings.held) {
      const oldest = client.filters.shift() as string;
      client.wire.write(
        mqttPacket.generate({ cmd: 'unsubscribe', messageId: nextId(client), unsubscriptions: [oldest] }),
      );
    }
  }
}

function nextId(client: { packetId: number }): number {
  client.packetId = (client.packetId % 65535) + 1;
  return client.packetId;
}
