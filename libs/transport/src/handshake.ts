// What a transport knew when a connection opened, handed to the protocol's authentication
// step (see ByteConnection.takeHandshake) for access control to decide on.

export type TransportKind = 'ws' | 'wss' | 'tcp' | 'tls';

export interface ConnectionHandshake {
  transport: TransportKind;
  remoteAddress: string;
  /** Undefined where the transport does not report it (uWebSockets.js WebSockets). */
  remotePort?: number;
  /** The HTTP upgrade request of a WebSocket: path, query string, headers (lower-case names). */
  webSocket?: { path: string; query: string; headers: Readonly<Record<string, string>> };
  /** The TLS client certificate, when the client presented one. */
  peerCertificate?: PeerCertificate;
}

/** The parts of a TLS peer certificate providers use (node:tls' PeerCertificate has them). */
export interface PeerCertificate {
  /** Distinguished name fields (CN, O, OU…); a field repeated in the name is an array. */
  subject: Record<string, string | string[] | undefined>;
  subjectaltname?: string;
  fingerprint256: string;
  /** DER bytes. */
  raw: Buffer;
}
