// What packet handlers may see and do: narrow views of a connection, so handlers depend
// on these interfaces and never on MqttConnection itself (which depends on the handlers).
import type { AccessControl, ClientPermissions, ConnectionHandshake } from '@edgemq/access';
import type { Broker, Counters, DeliveryTarget, OpenSessionResult } from '@edgemq/core';
import type { ConnackProperties, NegotiatedSession } from './negotiated-session.js';
import type { MqttOptions } from './options.js';
import type { Outbound } from './outbound.js';
import type { ProtocolVersion } from './packet-codec.js';
import type { OutboundAliases } from './topic-aliases.js';

/** Where encoded packets go, with the client's limits the encoders respect (send.ts). */
export interface PacketWriter {
  readonly version: ProtocolVersion;
  /** MQTT 5 Maximum Packet Size of the client. */
  readonly clientMaxPacketBytes: number;
  /** MQTT 5 Request Problem Information: reason strings allowed on acks. */
  readonly problemInformation: boolean;
  readonly outboundAliases?: OutboundAliases;
  readonly counters: Counters;
  /** Queues bytes; false when the socket is congested (see ByteConnection.write). */
  write(bytes: Uint8Array): boolean;
}

/** The connection as a handler sees it: write, batch writes made after an await, close. */
export interface ClientLink extends PacketWriter {
  readonly options: MqttOptions;
  readonly broker: Broker;
  readonly closed: boolean;
  /** Writes made after an await go through cork, so they leave in one batch. */
  corked(fn: () => void): void;
}

/** What the CONNECT handler drives: settle, claim the session as this target, open. */
export interface ConnectingClient extends ClientLink {
  /** The connection, as the broker delivers to it. */
  readonly deliveryTarget: DeliveryTarget;
  readonly access: AccessControl;
  /** What the transport knew at connect (address, upgrade request, certificate); taken once. */
  takeHandshake(): ConnectionHandshake;
  /** The negotiated settings apply from now on (before the session is claimed). */
  settle(settings: NegotiatedSession): void;
  /** The session is claimed: send CONNACK, resume what it had in flight, start keep-alive. */
  open(
    result: OpenSessionResult,
    sessionPresent: boolean,
    connack: ConnackProperties,
    permissions: ClientPermissions,
  ): void;
}

/** The connection under an open client (see OpenMqttClient): its lazily made outbound flow, and close. */
export interface ConnectionControl extends ClientLink {
  /** Messages on their way to this client; made on first use. */
  readonly outbound: Outbound;
  /** Ends the connection; `keepWill` false drops the will first (a clean DISCONNECT). */
  end(keepWill: boolean): void;
}
