// What core logs through: four levels of a pino logger, called as pino is called
// (`log.warn({ clientId, err }, 'what failed')`), so the node hands in a pino child and
// tests hand in `silentLogger`. Core logs what it cannot hand back to a caller: failures
// of work it started on its own (wills, expiry, queue pushes, membership, late takeovers).

export interface CoreLogger {
  debug(context: object, message: string): void;
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}

const ignore = (): void => {};

/** Logs nothing: for tests and tools that do not look at logs. */
export const silentLogger: CoreLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
