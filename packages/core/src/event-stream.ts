import type { Logger } from './logger.js';

/** A subscriber of one topic of the event stream. */
export type EventListener<E> = (event: E) => void;

/**
 * Publish–subscribe inside one actor system, keyed by topic name. The system
 * publishes `dead-letter` events here; libraries publish their own topics (the
 * cluster publishes membership events). A listener that throws is logged and never
 * breaks the publisher or other listeners.
 */
export class EventStream<Topics extends object = Record<string, unknown>> {
  private readonly listeners = new Map<PropertyKey, Set<EventListener<never>>>();

  constructor(private readonly log: Logger) {}

  /** Calls `listener` for every later event on `topic`. Returns the unsubscribe function. */
  subscribe<K extends keyof Topics>(topic: K, listener: EventListener<Topics[K]>): () => void {
    if (typeof listener !== 'function') throw new TypeError('EventStream.subscribe: listener must be a function');
    let set = this.listeners.get(topic);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    set.add(listener as EventListener<never>);
    return () => {
      set.delete(listener as EventListener<never>);
    };
  }

  /** True when somebody listens on `topic`; lets publishers skip building events. */
  hasSubscribers(topic: keyof Topics): boolean {
    const set = this.listeners.get(topic);
    return set !== undefined && set.size > 0;
  }

  /** Delivers `event` synchronously to every listener of `topic`. */
  publish<K extends keyof Topics>(topic: K, event: Topics[K]): void {
    const set = this.listeners.get(topic);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as EventListener<Topics[K]>)(event);
      } catch (error) {
        this.log.error(`event stream listener for "${String(topic)}" threw`, { error });
      }
    }
  }
}
