import type { Cancellable, Clock } from '@troupe/core';
import type { EventEnvelope } from '@troupe/persistence';

/** What one `read` returned: envelopes, and whether the source ended or the read was aborted. */
export interface ReadResult<S> {
  readonly envelopes: EventEnvelope<S>[];
  readonly end: 'more' | 'completed' | 'aborted';
}

/**
 * Pulls batches from a source iterator: up to `max` envelopes, handed over `withinMs`
 * after the first one arrived even if fewer came (Akka's groupedWithin). A pull that is
 * still pending when the batch closes is kept for the next batch, so nothing is lost.
 * An abort ends the read at once, dropping a partial batch: its offsets were not
 * stored, so it is read again on resume. A source that fails after yielding part of a
 * batch gets that part handled, and the failure is thrown by the next read.
 */
export class EnvelopeReader<S> {
  private readonly iterator: AsyncIterator<EventEnvelope<S>>;
  private pending: Promise<IteratorResult<EventEnvelope<S>>> | undefined;
  private closed = false;

  constructor(
    source: AsyncIterable<EventEnvelope<S>>,
    private readonly signal: AbortSignal,
    private readonly clock: Clock,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  async read(max: number, withinMs: number): Promise<ReadResult<S>> {
    const envelopes: EventEnvelope<S>[] = [];
    let timer: Cancellable | undefined;
    let timedOut: Promise<'timeout'> | undefined;
    // A fresh abort promise per read, released when it returns: racing one long-lived
    // promise would add a reaction to it per envelope that is never freed.
    const { promise: aborted, resolve: onAbort } = Promise.withResolvers<'abort'>();
    const abort = (): void => onAbort('abort');
    this.signal.addEventListener('abort', abort, { once: true });
    try {
      while (envelopes.length < max) {
        if (this.signal.aborted) return { envelopes: [], end: 'aborted' };
        this.pending ??= this.pull();
        const racers: Promise<IteratorResult<EventEnvelope<S>> | 'abort' | 'timeout'>[] = [this.pending, aborted];
        if (timedOut !== undefined) racers.push(timedOut);
        let next: IteratorResult<EventEnvelope<S>> | 'abort' | 'timeout';
        try {
          next = await Promise.race(racers);
        } catch (error) {
          // The envelopes read before a failing pull are handed over first; the failed
          // pull stays pending, so the next read throws its error.
          if (envelopes.length > 0) return { envelopes, end: 'more' };
          throw error;
        }
        if (next === 'abort') return { envelopes: [], end: 'aborted' };
        if (next === 'timeout') break;
        this.pending = undefined;
        if (next.done === true) return { envelopes, end: 'completed' };
        envelopes.push(next.value);
        if (envelopes.length === 1 && envelopes.length < max) {
          const { promise, resolve } = Promise.withResolvers<'timeout'>();
          timedOut = promise;
          timer = this.clock.schedule(withinMs, () => resolve('timeout'));
        }
      }
      return { envelopes, end: 'more' };
    } finally {
      timer?.cancel();
      this.signal.removeEventListener('abort', abort);
    }
  }

  /** Lets go of the source; does not wait for it, since a pull may be blocked on a live stream. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const pending = this.pending;
    const finish = (): void => {
      void Promise.resolve()
        .then(() => this.iterator.return?.())
        .catch(() => undefined);
    };
    if (pending === undefined) finish();
    else void pending.then(finish, finish);
  }

  private pull(): Promise<IteratorResult<EventEnvelope<S>>> {
    const next = this.iterator.next();
    // A pull abandoned by an abort may still fail later; that failure has no reader.
    next.catch(() => undefined);
    return next;
  }
}
