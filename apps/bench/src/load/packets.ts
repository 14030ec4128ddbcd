// MQTT 3.1.1 packets the load generator sends, encoded once with mqtt-packet's `generate`,
// and the bench payload layout. A PUBLISH is a template: the hot path copies it into a batch
// buffer and patches the payload header (and, at QoS 1, the packet id) in place, so no
// packet is encoded per message.
//
// Payload header, little-endian, at the start of every bench payload (the rest is zeros):
//   0  u32  publisher id (global, dense from 0)
//   4  u32  sequence number, from 1 per publisher
//   8  f64  send time in ms since the epoch: performance.timeOrigin + performance.now(),
//           sub-millisecond and comparable across the worker processes of one machine
import mqttPacket from 'mqtt-packet';

export const PAYLOAD_HEADER_BYTES = 16;
export const MQTT_VERSION = 4;

/** Packet types (the high nibble of the first byte). */
export enum PacketType {
  Connack = 2,
  Publish = 3,
  Puback = 4,
  Suback = 9,
  Unsuback = 11,
  Pingresp = 13,
}

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export function connectPacket(clientId: string, keepaliveSec: number): Buffer {
  return mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: MQTT_VERSION,
    clientId,
    clean: true,
    keepalive: keepaliveSec,
  });
}

export function subscribePacket(messageId: number, filters: readonly string[], qos: 0 | 1): Buffer {
  return mqttPacket.generate({
    cmd: 'subscribe',
    messageId,
    subscriptions: filters.map((topic) => ({ topic, qos })),
  });
}

export const pingreqPacket = (): Buffer => mqttPacket.generate({ cmd: 'pingreq' });
export const disconnectPacket = (): Buffer => mqttPacket.generate({ cmd: 'disconnect' });

/** A PUBACK for packet id 0; patch bytes 2..3 with the real id. */
export const pubackTemplate = (): Buffer => mqttPacket.generate({ cmd: 'puback', messageId: 0 });

/** An encoded PUBLISH to copy and patch: where its payload and packet id sit. */
export interface PublishTemplate {
  readonly bytes: Buffer;
  readonly payloadOffset: number;
  /** Offset of the 2-byte packet id, or -1 at QoS 0. */
  readonly messageIdOffset: number;
}

export function publishTemplate(topic: string, payloadBytes: number, qos: 0 | 1): PublishTemplate {
  if (payloadBytes < PAYLOAD_HEADER_BYTES) {
    throw new Error(`payload must be at least ${PAYLOAD_HEADER_BYTES} bytes, got ${payloadBytes}`);
  }
  const bytes = mqttPacket.generate({
    cmd: 'publish',
    topic,
    payload: Buffer.alloc(payloadBytes),
    qos,
    messageId: qos > 0 ? 1 : undefined,
    retain: false,
    dup: false,
  });
  const payloadOffset = bytes.length - payloadBytes;
  return { bytes, payloadOffset, messageIdOffset: qos > 0 ? payloadOffset - 2 : -1 };
}

/** The QoS 1 packet id of sequence number `seq` (from 1): 1..65535, then round again. */
export const messageIdOf = (seq: number): number => ((seq - 1) % 65535) + 1;

/**
 * Writes `count` copies of the template into one buffer, patched with consecutive sequence
 * numbers from `firstSeq` (and, at QoS 1, their packet ids). All share `sentAt`.
 */
export function fillPublishBatch(
  t: PublishTemplate,
  count: number,
  publisherId: number,
  firstSeq: number,
  sentAt: number,
): Buffer {
  const size = t.bytes.length;
  const out = Buffer.allocUnsafe(size * count);
  for (let i = 0; i < count; i++) {
    const base = i * size;
    t.bytes.copy(out, base);
    const p = base + t.payloadOffset;
    out.writeUInt32LE(publisherId, p);
    out.writeUInt32LE(firstSeq + i, p + 4);
    out.writeDoubleLE(sentAt, p + 8);
    if (t.messageIdOffset >= 0) out.writeUInt16BE(messageIdOf(firstSeq + i), base + t.messageIdOffset);
  }
  return out;
}
