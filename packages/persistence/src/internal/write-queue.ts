import type { PendingWrite } from './pending-write.js';

/**
 * The per-actor write queue: at most one write in flight, the rest waiting in order, so
 * a write the journal rejects never leaves a gap in the sequence numbers of the writes
 * behind it (they are numbered only when sent). It also counts the writes not yet
 * settled, which is the barrier that holds the mailbox until every write of the current
 * command settled. Apart from the engine, which decides what a write's outcome means
 * (apply, reject, fail, stop); this only keeps the order.
 */
export class WriteQueue<E> {
  private inFlight: PendingWrite<E> | undefined = undefined;
  private readonly waiting: PendingWrite<E>[] = [];
  private unsettledCount = 0;
  private drainedSignal: { promise: Promise<void>; resolve: () => void } | undefined = undefined;

  /** Writes added and not yet settled (sent, waiting, or reported back but not settled). */
  get unsettled(): number {
    return this.unsettledCount;
  }

  /**
   * Adds a write. Returns true when none was in flight: `write` is in flight now and the
   * caller sends it at once; otherwise it waits its turn (see `takeNext`).
   */
  add(write: PendingWrite<E>): boolean {
    this.unsettledCount++;
    if (this.inFlight !== undefined) {
      this.waiting.push(write);
      return false;
    }
    this.inFlight = write;
    return true;
  }

  /** `write`, taken from `takeNext`, is being sent: it is the one in flight now. */
  sending(write: PendingWrite<E>): void {
    this.inFlight = write;
  }

  /** The journal answered the write in flight (stored or rejected). */
  written(): void {
    this.inFlight = undefined;
  }

  /** `write` failed (an I/O error or a timeout); it is no longer in flight if it was. */
  failed(write: PendingWrite<E>): void {
    if (this.inFlight === write) this.inFlight = undefined;
  }

  /** Removes and returns the next waiting write, to send it or to settle it unsent. */
  takeNext(): PendingWrite<E> | undefined {
    return this.waiting.shift();
  }

  /** One added write has settled; when none is left, whoever waits in `drained` goes on. */
  settled(): void {
    this.unsettledCount--;
    if (this.unsettledCount === 0 && this.drainedSignal !== undefined) {
      const drained = this.drainedSignal;
      this.drainedSignal = undefined;
      drained.resolve();
    }
  }

  /** Resolves when the unsettled count next reaches 0 (check `unsettled` first: it does not resolve at once when already 0). */
  drained(): Promise<void> {
    return (this.drainedSignal ??= Promise.withResolvers<void>()).promise;
  }
}
