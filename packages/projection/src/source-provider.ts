import type { EventEnvelope } from '@troupe/persistence';

/**
 * Where a projection reads from. `open` is called at every (re)start with the offset
 * stored last, and must yield envelopes with offsets strictly above it, in ascending
 * offset order; the runtime drops any envelope at or below an offset it has already
 * handled, so a source that replays a little more than asked is harmless.
 */
export interface SourceProvider<E = unknown> {
  /** Part of the offset key: two sources with the same key must yield the same envelopes. */
  readonly key: string;
  /**
   * Envelopes after `afterOffset` (0: from the start). Live sources keep following new
   * events until `signal` aborts; a source that ends completes the projection.
   */
  open(afterOffset: number, signal: AbortSignal): AsyncIterable<EventEnvelope<E>>;
  /**
   * The highest offset the source holds now, for `Projection.lag`; `undefined` when it
   * cannot tell cheaply. Optional: sources without it report no lag.
   */
  highestOffset?(): Promise<number | undefined>;
}
