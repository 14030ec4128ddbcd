// MQTT 5 topic aliases, one table per direction and connection [MQTT-3.3.2-7].
import { MqttError, protocolError } from './errors.js';
import { ReasonCode } from './reason-codes.js';

/** Aliases the client set for its PUBLISHes to us. */
export class InboundAliases {
  private readonly topics = new Map<number, string>();

  constructor(private readonly maximum: number) {}

  /** The topic a PUBLISH means: sets the alias when a topic comes with it, reads it when not. */
  resolve(topic: string, alias: number | undefined): string {
    if (alias === undefined) return topic;
    // [MQTT-3.3.2-9/-10] 0 and anything above our Topic Alias Maximum are invalid.
    if (alias === 0 || alias > this.maximum)
      throw new MqttError(ReasonCode.topicAliasInvalid, `topic alias ${alias} invalid`);
    if (topic.length > 0) {
      this.topics.set(alias, topic);
      return topic;
    }
    const known = this.topics.get(alias);
    if (known === undefined) throw protocolError(`topic alias ${alias} used before it was set`);
    return known;
  }
}

/** Aliases we give topics towards a client that allows them: first come, first aliased. */
export class OutboundAliases {
  private readonly aliases = new Map<string, number>();

  constructor(private readonly maximum: number) {}

  /** `{ alias, known }`: known means the client already has it, so the topic can be left out. */
  lookup(topic: string): { alias: number; known: boolean } | undefined {
    const alias = this.aliases.get(topic);
    if (alias !== undefined) return { alias, known: true };
    if (this.aliases.size >= this.maximum) return undefined;
    const next = this.aliases.size + 1;
    this.aliases.set(topic, next);
    return { alias: next, known: false };
  }

  /** The PUBLISH that would have taught the client this alias was never sent. */
  forget(topic: string): void {
    this.aliases.delete(topic);
  }
}
