// One pino logger per node: JSON lines on stdout, level from config.
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, nodeId: string): Logger {
  return pino({ level, base: { nodeId } });
}
