import type { PersistentRepr } from '@troupe/persistence';

/**
 * Chooses the user-defined topics an event is published to, besides its journal topic.
 * Called once per event, synchronously, in the write path: keep it cheap and pure.
 * Records are keyed by persistence id, so one actor's events stay in order per topic.
 *
 * @example
 * const mapper: EventTopicMapper = {
 *   topicsFor: (event) => (event.persistenceId.startsWith('order-') ? ['orders', 'audit'] : []),
 * };
 */
export interface EventTopicMapper {
  /** Topics for `event` (zero or more; legal Kafka topic names). */
  topicsFor(event: PersistentRepr): readonly string[];
}

const EVENTS = Object.freeze(['events']);
const NONE: readonly string[] = Object.freeze([]);

/** Publishes every event to the topic `events`. The default. */
export const DefaultEventTopicMapper: EventTopicMapper = Object.freeze({ topicsFor: () => EVENTS });

/** Publishes nothing: turns event topics off. */
export const EmptyEventTopicMapper: EventTopicMapper = Object.freeze({ topicsFor: () => NONE });

/** Publishes every event to the given topics. */
export function eventTopicMapperTo(...topics: string[]): EventTopicMapper {
  const frozen = Object.freeze([...topics]);
  return Object.freeze({ topicsFor: () => frozen });
}
