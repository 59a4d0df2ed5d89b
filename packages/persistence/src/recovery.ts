import { SnapshotSelectionCriteria } from './snapshot-store.js';

/** How a persistent actor recovers; returned by `PersistentActor.recovery()`. */
export interface Recovery {
  /** Which snapshot to start from; `SnapshotSelectionCriteria.none` replays from the first event. @default latest */
  readonly fromSnapshot?: SnapshotSelectionCriteria;
  /** Replay events up to and including this sequence number. @default Infinity */
  readonly toSequenceNr?: number;
  /** Replay at most this many events. @default Infinity */
  readonly replayMax?: number;
}

/** Recovery with every field filled in. */
export interface ResolvedRecovery {
  readonly fromSnapshot: SnapshotSelectionCriteria;
  readonly toSequenceNr: number;
  readonly replayMax: number;
}

/** Ready-made recoveries. */
export const Recovery = {
  /** Newest snapshot, then every event after it. */
  default: Object.freeze({}) as Recovery,
  /**
   * No snapshot and no events: the actor starts empty but continues the sequence
   * numbers after the highest stored one.
   */
  none: Object.freeze({ fromSnapshot: SnapshotSelectionCriteria.none, toSequenceNr: 0 }) as Recovery,
};

/** Applies defaults and checks ranges, naming the bad field. */
export function resolveRecovery(recovery: Recovery): ResolvedRecovery {
  const toSequenceNr = recovery.toSequenceNr ?? Infinity;
  const replayMax = recovery.replayMax ?? Infinity;
  if (!(toSequenceNr === Infinity || (Number.isInteger(toSequenceNr) && toSequenceNr >= 0))) throw new RangeError(`recovery: toSequenceNr must be an integer >= 0 or Infinity, got ${toSequenceNr}`);
  if (!(replayMax === Infinity || (Number.isInteger(replayMax) && replayMax >= 0))) throw new RangeError(`recovery: replayMax must be an integer >= 0 or Infinity, got ${replayMax}`);
  const base = recovery.fromSnapshot ?? SnapshotSelectionCriteria.latest;
  return { fromSnapshot: { ...base, maxSequenceNr: Math.min(base.maxSequenceNr, toSequenceNr) }, toSequenceNr, replayMax };
}
