// Broker-wide counters of things users ask about: what was dropped, and why.

export class Counters {
  /** Messages accepted from publishers. */
  published = 0;
  /** Message copies handed to connected subscribers. */
  delivered = 0;
  /** QoS 0 messages dropped because the subscriber's socket buffer was full. */
  droppedQos0Backpressure = 0;
  /** QoS 1/2 messages dropped from a full session queue (oldest first). */
  droppedQueueOverflow = 0;
  /** Messages dropped because they expired before delivery. */
  droppedExpired = 0;
  /** Messages dropped for one client because they exceed its Maximum Packet Size (MQTT 5). */
  droppedTooLarge = 0;
  /** Messages dropped for one client because they could not be encoded for it (odd stored properties). */
  droppedUnencodable = 0;
  /** QoS 1 messages re-delivered from the log for sessions whose node died. */
  replayed = 0;
  /** Client connections closed because handling their input failed inside the node (not a protocol error). */
  connectionErrors = 0;
  /** Times the backbone was found to have lost its data (Redis restarted empty, flushed). */
  backboneDataLost = 0;

  snapshot(): Record<string, number> {
    return {
      published: this.published,
      delivered: this.delivered,
      droppedQos0Backpressure: this.droppedQos0Backpressure,
      droppedQueueOverflow: this.droppedQueueOverflow,
      droppedExpired: this.droppedExpired,
      droppedTooLarge: this.droppedTooLarge,
      droppedUnencodable: this.droppedUnencodable,
      replayed: this.replayed,
      connectionErrors: this.connectionErrors,
      backboneDataLost: this.backboneDataLost,
    };
  }
}
