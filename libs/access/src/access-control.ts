// The one seam for access control, asked by every protocol at three named steps:
// authenticate (MQTT CONNECT, AMQP start-ok), authorize publish (PUBLISH, basic.publish, a
// will) and authorize subscribe (SUBSCRIBE, queue bind/consume). Providers (password file,
// JWT, HTTP hook, client certificate) implement it; the node holds one, by default
// allowAll. Answers may be synchronous (values) or not (promises): a protocol only waits
// when it must, so a cached or synchronous answer keeps the QoS 0 hot path synchronous.
import type { ConnectionHandshake } from '@edgemq/transport';

/** Who asks to connect, as the protocol read it from its handshake. */
export interface ConnectInfo extends ConnectionHandshake {
  protocol: string;
  clientId: string;
  username?: string;
  password?: Buffer;
}

/** A connection that passed authentication: what authorization decides on. */
export interface AuthenticatedClient {
  readonly protocol: string;
  readonly clientId: string;
  readonly username?: string;
  /** What a provider found out (roles, token claims, ACL rules it returned) for later decisions. */
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export type AuthenticationResult =
  | { allowed: true; client: AuthenticatedClient }
  /** `bad-credentials`: wrong or missing user name/password (MQTT 0x86/0x04); `not-authorized`: known but refused (0x87/0x05). */
  | { allowed: false; reason: 'bad-credentials' | 'not-authorized'; message?: string };

export type Decision<T> = T | Promise<T>;

export interface AccessControl {
  authenticate(info: ConnectInfo): Decision<AuthenticationResult>;
  /** May `client` publish to `topic` (canonical MQTT form, `a/b/c`)? */
  authorizePublish(client: AuthenticatedClient, topic: string): Decision<boolean>;
  /** May `client` subscribe to `filter` (`$share/{group}/…` included as given)? */
  authorizeSubscribe(client: AuthenticatedClient, filter: string): Decision<boolean>;
  /** True when every answer is yes: protocols may then skip asking on the hot path. */
  readonly allowsEverything?: boolean;
}

/** The default: anyone may connect, publish and subscribe (what EdgeMQ did before access control). */
export const allowAll: AccessControl = {
  allowsEverything: true,
  authenticate: (info) => ({
    allowed: true,
    client: { protocol: info.protocol, clientId: info.clientId, username: info.username },
  }),
  authorizePublish: () => true,
  authorizeSubscribe: () => true,
};
