/** Identifies a snapshot: whose, after which event, when. */
export interface SnapshotMetadata {
  readonly persistenceId: string;
  /** The state includes every event up to and including this sequence number. */
  readonly sequenceNr: number;
  /** Wall-clock time of the save, ms since the epoch. */
  readonly timestamp: number;
}

/** A snapshot as snapshot stores keep it: already serialised. */
export interface StoredSnapshot extends SnapshotMetadata {
  readonly payload: Uint8Array;
  readonly serializerId: string;
  readonly manifest: string;
}

/** Which snapshots a load or delete concerns; every bound is inclusive. */
export interface SnapshotSelectionCriteria {
  readonly maxSequenceNr: number;
  readonly maxTimestamp: number;
  readonly minSequenceNr: number;
  readonly minTimestamp: number;
}

/** Builders of selection criteria. */
export const SnapshotSelectionCriteria = {
  /** Every snapshot (load: the newest). */
  latest: Object.freeze({ maxSequenceNr: Infinity, maxTimestamp: Infinity, minSequenceNr: 0, minTimestamp: 0 }) as SnapshotSelectionCriteria,
  /** No snapshot at all. */
  none: Object.freeze({ maxSequenceNr: 0, maxTimestamp: 0, minSequenceNr: 0, minTimestamp: 0 }) as SnapshotSelectionCriteria,
  /** Fills in the bounds not given with the widest values. */
  of(bounds: Partial<SnapshotSelectionCriteria>): SnapshotSelectionCriteria {
    return { maxSequenceNr: bounds.maxSequenceNr ?? Infinity, maxTimestamp: bounds.maxTimestamp ?? Infinity, minSequenceNr: bounds.minSequenceNr ?? 0, minTimestamp: bounds.minTimestamp ?? 0 };
  },
  /** True when `metadata` is within `criteria`. */
  matches(criteria: SnapshotSelectionCriteria, metadata: SnapshotMetadata): boolean {
    return metadata.sequenceNr <= criteria.maxSequenceNr && metadata.sequenceNr >= criteria.minSequenceNr && metadata.timestamp <= criteria.maxTimestamp && metadata.timestamp >= criteria.minTimestamp;
  },
};

/**
 * The snapshot-store SPI. Snapshots only speed recovery up: losing one costs replay
 * time, never data, so a store may be less durable than its journal.
 *
 * Contract (checked by the TCK):
 * - `saveSnapshot` MUST store the snapshot so that a later `loadSnapshot` returns it; saving
 *   again with the same persistence id and sequence number MUST replace the old one.
 * - `loadSnapshot` MUST resolve with the snapshot with the highest sequence number among
 *   those matching `criteria` (ties: the newest timestamp), or `undefined`; it MUST NOT
 *   return deleted snapshots or snapshots of other ids.
 * - `deleteSnapshot` MUST delete exactly the snapshot with that id and sequence number
 *   (no error if absent). `deleteSnapshots` MUST delete every snapshot matching `criteria`.
 * - All bounds in criteria are inclusive; `Infinity` means unbounded.
 */
export interface SnapshotStore {
  /** Stores (or replaces) a snapshot. */
  saveSnapshot(snapshot: StoredSnapshot): Promise<void>;
  /** The youngest snapshot matching `criteria`, if any. */
  loadSnapshot(persistenceId: string, criteria: SnapshotSelectionCriteria): Promise<StoredSnapshot | undefined>;
  /** Deletes one snapshot. */
  deleteSnapshot(persistenceId: string, sequenceNr: number): Promise<void>;
  /** Deletes every snapshot of the id matching `criteria`. */
  deleteSnapshots(persistenceId: string, criteria: SnapshotSelectionCriteria): Promise<void>;
  /** Releases resources. */
  close?(): Promise<void>;
}
