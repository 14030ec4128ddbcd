// Subscription churn beside a load: clients that connect at a steady rate, subscribe a few
// filters no traffic matches, stay a moment and leave (clean session, so leaving removes
// the subscriptions). This is what a broker sees from browsers opening and closing tabs;
// each arrival and departure changes the subscription index while messages flow.
import { connectPacket, disconnectPacket, subscribePacket } from './packets.js';
import { unrelatedFilter } from './plan.js';
import { type Endpoint, openWire, type Wire } from './wire.js';

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
  /** Connections that subscribed and left while the churn ran. */
  completed: number;
  /** Subscribe + unsubscribe changes per second the broker saw (2 per filter per connection). */
  changesPerSec: number;
  failed: number;
}

const TICK_MS = 10;

export class SubscriptionChurner {
  private timer?: NodeJS.Timeout;
  private startedAt = 0;
  private opened = 0;
  private completed = 0;
  private failed = 0;
  private nextFilter: number;
  private readonly live = new Set<Wire>();

  constructor(
    private readonly endpoint: Endpoint,
    private readonly settings: ChurnSettings,
  ) {
    this.nextFilter = settings.firstFilter;
  }

  start(): void {
    this.startedAt = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Stops arrivals, closes who is still there, and reports the rate achieved. */
  stop(): ChurnFigures {
    clearInterval(this.timer);
    const seconds = (performance.now() - this.startedAt) / 1000;
    for (const wire of this.live) wire.close();
    this.live.clear();
    const changes = this.completed * this.settings.filtersPerConnection * 2;
    return {
      completed: this.completed,
      changesPerSec: seconds > 0 ? changes / seconds : 0,
      failed: this.failed,
    };
  }

  /** Opens as many connections as the rate owes by now (catching up after a slow tick). */
  private tick(): void {
    const due = Math.floor(((performance.now() - this.startedAt) / 1000) * this.settings.connectionsPerSec);
    while (this.opened < due) {
      this.opened++;
      this.visit().catch(() => {
        this.failed++;
      });
    }
  }

  private async visit(): Promise<void> {
    const wire = await openWire(this.endpoint);
    this.live.add(wire);
    const n = this.opened;
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
