// Reads protocol name and level from a raw CONNECT before full parsing, so an unknown
// level gets CONNACK 0x01 [MQTT-3.1.2-2] instead of a bare close, and a wrong protocol
// name closes the connection [MQTT-3.1.2-1].
import { connectRefused, protocolError } from './errors.js';
import { ReasonCode } from './reason-codes.js';

export type ProtocolLevel = 3 | 4 | 5;

/** Returns the protocol level of a CONNECT packet or throws a typed refusal. */
export function precheckConnect(packet: Buffer): ProtocolLevel {
  let offset = 1;
  while (offset < packet.length && (packet[offset] & 0x80) !== 0) offset++;
  offset++;
  if (offset + 2 > packet.length) throw protocolError('CONNECT too short');
  const nameLength = packet.readUInt16BE(offset);
  offset += 2;
  if (offset + nameLength + 1 > packet.length) throw protocolError('CONNECT too short');
  const name = packet.toString('utf8', offset, offset + nameLength);
  const level = packet[offset + nameLength] & 0x7f; // bit 7 marks a bridge in Mosquitto
  if (name !== 'MQTT' && name !== 'MQIsdp') throw protocolError(`unknown protocol name "${name}"`);
  const supported = name === 'MQIsdp' ? level === 3 : level === 4 || level === 5;
  if (!supported) {
    throw connectRefused(
      ReasonCode.unsupportedProtocolVersion,
      `unsupported protocol ${name} level ${level}`,
    );
  }
  return level as ProtocolLevel;
}
