import type { UndeserializableEventError } from '../errors.js';

/** One event as persistence queries return it. */
export interface EventEnvelope<E = unknown> {
  /**
   * Where to resume: pass it back as `offset` to continue after this event. For
   * `eventsByTag` it is the journal-wide order; for `eventsByPersistenceId` the sequence number.
   */
  readonly offset: number;
  readonly persistenceId: string;
  readonly sequenceNr: number;
  /**
   * The deserialised event (through the query's event adapter, if one was given).
   * `undefined` when `undeserializable` is set.
   */
  readonly event: E;
  /** Wall-clock time of the write, ms since the epoch. */
  readonly timestamp: number;
  readonly tags: readonly string[];
  /**
   * Set only by queries run with `onUndeserializable: 'flag'`, when the stored event
   * could not be deserialised: why, and which event. `event` is then `undefined`, so a
   * consumer of such a query checks this field first.
   */
  readonly undeserializable?: UndeserializableEventError;
}
