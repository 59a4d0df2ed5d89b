/**
 * Where a projection is in its life:
 * `idle` (created, not started) → `running` ⇄ `restarting` (after a failure, waiting
 * for its backoff) ⇄ `paused`; it ends `stopped` (asked to), `completed` (a finite
 * source ended) or `failed` (bad input with the stop policy, or restarts exhausted).
 */
export type ProjectionState = 'idle' | 'running' | 'restarting' | 'paused' | 'stopped' | 'completed' | 'failed';

/** A snapshot of a projection for management and dashboards. */
export interface ProjectionStatus {
  readonly name: string;
  readonly key: string;
  readonly state: ProjectionState;
  /** Offset last read from or written to the store by this instance; `undefined` when none is stored. */
  readonly storedOffset: number | undefined;
  /** Offset of the last envelope handled (or skipped) by this instance, stored or not. */
  readonly handledOffset: number | undefined;
  /** Envelopes handed to the handler successfully since this instance was created. */
  readonly handled: number;
  /** Undecodable envelopes skipped (policy `skip`) since this instance was created. */
  readonly skipped: number;
  /** Restarts after failures since this instance was created. */
  readonly restarts: number;
  /** The last failure, if any. */
  readonly lastError: Error | undefined;
  /** While `restarting`: the clock time (`clock.now()`) of the next start. */
  readonly restartAt: number | undefined;
}

/** How far a projection is behind its source (`Projection.lag`), in the source's offset units. */
export interface ProjectionLag {
  /** The highest offset the source holds now. */
  readonly sourceHighestOffset: number;
  /** Offset of the last envelope handled (or skipped), else the stored one; `undefined` when nothing is. */
  readonly handledOffset: number | undefined;
  /** `sourceHighestOffset - handledOffset` (never below 0). Offsets need not be dense (a journal-wide order), so this bounds the envelopes behind rather than counting them. */
  readonly behind: number;
}
