// Typed protocol errors. Handlers throw them; only the dispatcher turns them into a
// CONNACK refusal, a DISCONNECT reason code (5.0) or a plain close (3.1.1).
import { ReasonCode } from './reason-codes.js';

export class MqttError extends Error {
  override name = 'MqttError';
  constructor(
    /** 5.0 reason code; for CONNECT refusals also mapped to a 3.1.1 return code. */
    readonly reasonCode: number,
    message: string,
    /** Refuse with a CONNACK (only while the connection awaits its CONNACK). */
    readonly refuseConnect = false,
  ) {
    super(message);
  }
}

export const protocolError = (message: string) => new MqttError(ReasonCode.protocolError, message);
export const malformed = (message: string) => new MqttError(ReasonCode.malformedPacket, message);
export const connectRefused = (reasonCode: number, message: string) =>
  new MqttError(reasonCode, message, true);
