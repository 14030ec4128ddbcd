// A connection past CONNACK, as every handler but CONNECT receives it: the negotiated
// settings, the claimed session, and the inbound QoS 1/2 bookkeeping. Made once, at CONNACK,
// so no handler ever sees a connection without a session.
import type { ClientPermissions } from '@edgemq/access';
import type { Session } from '@edgemq/core';
import type { TopicCache } from './fast-codec.js';
import type { ConnectionControl } from './handler-context.js';
import type { NegotiatedSession } from './negotiated-session.js';
import type { Outbound } from './outbound.js';

export class OpenMqttClient {
  /** QoS 1 PUBLISHes received whose PUBACK is not yet sent (5.0 Receive Maximum). */
  inboundQos1Pending = 0;
  /** QoS 2 packet ids received (PUBREC sent) whose PUBREL has not come; made on first use. */
  incomingQos2?: Set<number>;
  /** Settles once the last QoS 1/2 PUBLISH being stored is (or failed); undefined when none is. */
  latestInboundStore?: Promise<void>;
  /** The topic this client last published to (made at its first PUBLISH). */
  topicCache?: TopicCache;

  constructor(
    readonly link: ConnectionControl,
    readonly settings: NegotiatedSession,
    readonly session: Session,
    /** What access control decided for this client: asked before each PUBLISH and SUBSCRIBE. */
    readonly permissions: ClientPermissions,
    incomingQos2: readonly number[] | undefined,
  ) {
    if (incomingQos2 && incomingQos2.length > 0) this.incomingQos2 = new Set(incomingQos2);
  }

  get outbound(): Outbound {
    return this.link.outbound;
  }

  /** incomingQos2, made when first needed. */
  qos2Ids(): Set<number> {
    if (!this.incomingQos2) this.incomingQos2 = new Set();
    return this.incomingQos2;
  }

  /** The client sent DISCONNECT: its will is dropped unless `keepWill` [MQTT-3.14.4-3]. */
  disconnectedByClient(keepWill: boolean): void {
    this.link.end(keepWill);
  }
}
