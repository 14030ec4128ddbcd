// The kinds of client the scenarios mix: protocol level, transport, and whether the
// session outlives the connection.
import type { IClientOptions } from 'mqtt';

export type Transport = 'tcp' | 'ws';

export interface ClientKind {
  readonly version: 4 | 5;
  readonly transport: Transport;
  readonly persistent: boolean;
}

/** Session expiry MQTT 5 persistent clients ask for: far beyond any run, so no session expires. */
export const SESSION_EXPIRY_SEC = 300;

export const describeKind = (k: ClientKind): string =>
  `${k.version === 5 ? 'v5' : 'v3.1.1'} ${k.transport} ${k.persistent ? 'persistent' : 'clean'}`;

/** The session part of MQTT.js options: clean flag and (5.0) session expiry. */
export function sessionOptions(kind: ClientKind): IClientOptions {
  const options: IClientOptions = { protocolVersion: kind.version, clean: !kind.persistent };
  if (kind.version === 5)
    options.properties = { sessionExpiryInterval: kind.persistent ? SESSION_EXPIRY_SEC : 0 };
  return options;
}

/** Every combination, in a fixed order: scenarios pick from it round robin. */
export const allKinds: readonly ClientKind[] = ([4, 5] as const).flatMap((version) =>
  (['tcp', 'ws'] as const).flatMap((transport) =>
    [true, false].map((persistent) => ({ version, transport, persistent })),
  ),
);
