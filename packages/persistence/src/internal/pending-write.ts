import type { WriteCallback } from '../journal-batcher.js';
import type { AtomicWrite, PersistentRepr } from '../persistent-repr.js';

/** A `PersistentRepr` the actor fills in when the write is sent (sequence number). */
export interface MutableRepr {
  persistenceId: string;
  sequenceNr: number;
  payload: Uint8Array;
  serializerId: string;
  manifest: string;
  eventManifest: string;
  tags: readonly string[];
  timestamp: number;
  writerUuid: string;
}

/** What a pending write reports back to its actor. */
export interface WriteOwner<E> {
  onWritten(write: PendingWrite<E>, rejection: Error | undefined): void;
  onFailed(write: PendingWrite<E>, error: unknown): void;
}

/**
 * One `persist`/`persistAll` call on its way to the journal: the events (to apply once
 * stored), their serialised form, and the Promise the caller awaits.
 */
export class PendingWrite<E> implements WriteCallback, AtomicWrite {
  readonly promise: Promise<void>;
  resolve!: () => void;
  private rejectPromise!: (error: unknown) => void;

  constructor(
    private readonly owner: WriteOwner<E>,
    readonly persistenceId: string,
    readonly userEvents: readonly E[],
    readonly events: readonly PersistentRepr[],
  ) {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.rejectPromise = reject;
    });
  }

  /** Rejects the caller's Promise. */
  reject(error: unknown): void {
    // The caller may not await (fire-and-forget persist): the actor reports the outcome
    // itself, so an unobserved rejection must not crash the process. Marking it handled
    // only here keeps the success path free of an extra Promise per write.
    this.promise.catch(ignore);
    this.rejectPromise(error);
  }

  /** Gives the events their sequence numbers, starting after `last`. */
  number(last: number): void {
    const events = this.events as MutableRepr[];
    for (let i = 0; i < events.length; i++) (events[i] as MutableRepr).sequenceNr = last + i + 1;
  }

  written(rejection: Error | undefined): void {
    this.owner.onWritten(this, rejection);
  }

  failed(error: unknown): void {
    this.owner.onFailed(this, error);
  }
}

function ignore(): void {}
