import type { Clock } from '@troupe/core';
import type { EventEnvelope } from '@troupe/persistence';
import type { ProjectionId } from '../projection-id.js';

/** What a delivery needs from the projection running it. */
export interface DeliveryContext {
  readonly id: ProjectionId;
  readonly clock: Clock;
  /** Reports that `offset` is now stored. */
  stored(offset: number): void;
  /** Reports a failure outside `deliver` (a timed save); the running incarnation fails and restarts. */
  fail(error: unknown): void;
}

/**
 * How handled envelopes reach the handler and their offset reaches the store: the one
 * part that differs between at-least-once, grouped and exactly-once.
 */
export interface Delivery<E> {
  /** Most envelopes read per `deliver`. */
  readonly batchSize: number;
  /** A batch is delivered this long after its first envelope arrived, even if smaller. */
  readonly batchWithinMs: number;
  /**
   * Hands `envelopes` to the handler. They are decoded, in offset order, and may be
   * fewer than were read (skipped bad input) or none; `lastOffset` is the offset of
   * the last envelope read, which is where the projection resumes once it is stored.
   */
  deliver(envelopes: readonly EventEnvelope<E>[], lastOffset: number): Promise<void>;
  /** Stores the offset of what was handled but not yet stored. */
  flush(): Promise<void>;
  /** Forgets anything pending from an earlier incarnation; called at every (re)start. */
  reset(): void;
}
