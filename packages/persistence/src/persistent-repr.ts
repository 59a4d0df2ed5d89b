/**
 * One event as journals store it: already serialised, with everything needed to
 * rebuild it. Journals store and return these fields unchanged.
 */
export interface PersistentRepr {
  /** The writing actor's persistence id. */
  readonly persistenceId: string;
  /** 1, 2, 3, … per persistence id; never skips or repeats. */
  readonly sequenceNr: number;
  /** The serialised event. */
  readonly payload: Uint8Array;
  /** Which serializer wrote `payload` (e.g. `json`). */
  readonly serializerId: string;
  /** The serializer's manifest: what type `payload` holds. */
  readonly manifest: string;
  /** The event adapter's manifest (e.g. a schema version); `''` when none. */
  readonly eventManifest: string;
  /** Tags for `eventsByTag`; may be empty. */
  readonly tags: readonly string[];
  /** Wall-clock time of the write, ms since the epoch. */
  readonly timestamp: number;
  /** Identifies the writing actor incarnation; helps detect two writers of one id. */
  readonly writerUuid: string;
}

/**
 * Events of one persistence id that must be stored all together or not at all
 * (one `persist` or `persistAll` call). `events` is non-empty and its sequence
 * numbers are contiguous and ascending.
 */
export interface AtomicWrite {
  readonly persistenceId: string;
  readonly events: readonly PersistentRepr[];
}
