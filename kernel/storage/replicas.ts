import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ReplicaChannel, Replicas } from '../contracts.js';

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; an announcement says what changed, not the data. */
const MAX_MESSAGE_BYTES = 7900;

interface Envelope {
  topic: string;
  payload?: string;
  /** The sending server, so it skips its own announcements (it applied the change already). */
  origin?: string;
}

/**
 * The kernel's `Replicas` over a driver's channel: one connection per server, however many plugins subscribe (a
 * connection each would multiply the database's connection count by the number of caching plugins). Topics are
 * dispatched here; messages are JSON `{topic, payload?, origin?}`, so a database trigger can announce a change
 * too (`pg_notify('authplane', '{"topic":"keys"}')`, without an origin: every server hears it).
 */
export class ReplicaMessages implements Replicas {
  readonly #origin = randomUUID();
  readonly #subscribers = new Map<string, Set<(payload: string | undefined) => void>>();
  /** Announcements on their way: close waits for them, so a CLI command's change is sent before the pool closes. */
  readonly #sending = new Set<Promise<void>>();
  #listening = false;

  constructor(
    private readonly channel: ReplicaChannel | undefined,
    private readonly log: Logger,
  ) {}

  get shared(): boolean {
    return this.channel !== undefined;
  }

  notify(topic: string, payload?: string): void {
    if (!this.channel) return;
    const message = JSON.stringify({ topic, payload, origin: this.#origin } satisfies Envelope);
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
      this.log.error({ topic, bytes: Buffer.byteLength(message) }, 'replica message too large; not sent');
      return;
    }
    const sending = this.channel
      .send(message)
      .catch((err: unknown) => {
        // The others re-read on their next reconnect or refresh interval; a request must not fail for this.
        this.log.warn({ err, topic }, 'cannot announce a change to the other replicas');
      })
      .finally(() => this.#sending.delete(sending));
    this.#sending.add(sending);
  }

  subscribe(topic: string, onMessage: (payload: string | undefined) => void): () => void {
    let set = this.#subscribers.get(topic);
    if (!set) this.#subscribers.set(topic, (set = new Set()));
    set.add(onMessage);
    return () => set.delete(onMessage);
  }

  /** Starts listening (serve only: a CLI command has no caches to keep fresh). */
  async start(): Promise<void> {
    if (!this.channel || this.#listening) return;
    this.#listening = true;
    await this.channel.listen(
      (message) => this.#dispatch(message),
      () => {
        // Whatever was announced while the connection was down is lost: every subscriber re-reads.
        for (const [topic, set] of this.#subscribers) for (const fn of set) this.#call(topic, fn, undefined);
      },
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#sending]);
    await this.channel?.close();
  }

  #dispatch(message: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message) as Envelope;
    } catch {
      this.log.warn({ message: message.slice(0, 200) }, 'replica message is not JSON; ignored');
      return;
    }
    if (typeof envelope?.topic !== 'string' || envelope.origin === this.#origin) return;
    const payload = typeof envelope.payload === 'string' ? envelope.payload : undefined;
    for (const fn of this.#subscribers.get(envelope.topic) ?? []) this.#call(envelope.topic, fn, payload);
  }

  #call(topic: string, fn: (payload: string | undefined) => void, payload: string | undefined): void {
    try {
      fn(payload);
    } catch (err) {
      this.log.error({ err, topic }, 'replica message subscriber failed');
    }
  }
}
