// One connection's view of the access seam: its authenticated identity and the publish /
// subscribe decisions already taken for it. A topic decided once is answered from the cache
// synchronously after that, so a client publishing to the same topics never waits again.
import type { AccessControl, AuthenticatedClient, Decision } from './access-control.js';

/** Topics remembered per connection and direction; past it the oldest are forgotten. */
const MAX_CACHED = 256;

export class ClientPermissions {
  // Made on first use: under allowAll (the default) a connection never needs them.
  private publish?: Map<string, boolean>;
  private subscribe?: Map<string, boolean>;

  constructor(
    private readonly access: AccessControl,
    readonly client: AuthenticatedClient,
  ) {}

  /** true / false at once when known (or when the provider answers synchronously); else a promise. */
  mayPublish(topic: string): Decision<boolean> {
    if (this.access.allowsEverything) return true;
    return this.decide(this.publishCache(), topic, () => this.access.authorizePublish(this.client, topic));
  }

  maySubscribe(filter: string): Decision<boolean> {
    if (this.access.allowsEverything) return true;
    return this.decide(this.subscribeCache(), filter, () =>
      this.access.authorizeSubscribe(this.client, filter),
    );
  }

  private publishCache(): Map<string, boolean> {
    if (!this.publish) this.publish = new Map();
    return this.publish;
  }

  private subscribeCache(): Map<string, boolean> {
    if (!this.subscribe) this.subscribe = new Map();
    return this.subscribe;
  }

  private decide(cache: Map<string, boolean>, key: string, ask: () => Decision<boolean>): Decision<boolean> {
    const known = cache.get(key);
    if (known !== undefined) return known;
    const answer = ask();
    if (typeof answer === 'boolean') {
      remember(cache, key, answer);
      return answer;
    }
    return answer.then((allowed) => {
      remember(cache, key, allowed);
      return allowed;
    });
  }
}

function remember(cache: Map<string, boolean>, key: string, allowed: boolean): void {
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(key, allowed);
}
