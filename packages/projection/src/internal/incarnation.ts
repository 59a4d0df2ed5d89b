import type { Clock } from '@troupe/core';
import type { EventEnvelope } from '@troupe/persistence';
import { UndecodableEventError } from '../errors.js';
import type { OffsetStore } from '../offset-store.js';
import type { ProjectionId } from '../projection-id.js';
import type { SourceProvider } from '../source-provider.js';
import type { Delivery } from './delivery.js';
import { EnvelopeReader, type ReadResult } from './envelope-reader.js';
import { undeserializableEnvelope } from './undeserializable-envelope.js';

/** How an incarnation ended: `fatal` is bad input under the stop policy, which a restart would only meet again. */
export type Outcome = { readonly kind: 'completed' | 'aborted' } | { readonly kind: 'failed' | 'fatal'; readonly error: unknown };

/** What an incarnation needs from its projection. */
export interface IncarnationHost {
  readonly id: ProjectionId;
  readonly store: OffsetStore;
  readonly source: SourceProvider<unknown>;
  readonly clock: Clock;
  readonly delivery: Pick<Delivery<unknown>, 'batchSize' | 'batchWithinMs' | 'flush' | 'reset'>;
  /** Reports the offset read from the store at the start. */
  loaded(stored: number | undefined): void;
  /** Decodes and delivers envelopes that are new to this run, in offset order. */
  handle(envelopes: readonly EventEnvelope<unknown>[]): Promise<void>;
}

/**
 * One run of a projection: from the stored offset until the source completes, the run
 * is aborted (pause, stop), or it fails. A restart is a new incarnation, so nothing of
 * a failed run (an open source, a pending save timer) leaks into the next.
 */
export class Incarnation {
  readonly abort = new AbortController();
  /** Settles once the run has ended and its projection reacted. */
  finished: Promise<void> = Promise.resolve();
  private failure: { readonly error: unknown } | undefined;

  /** Ends the run with `error`: for failures outside the read loop, such as a timed offset save. */
  fail(error: unknown): void {
    if (this.abort.signal.aborted) return;
    this.failure = { error };
    this.abort.abort(error);
  }

  async run(host: IncarnationHost): Promise<Outcome> {
    const { signal } = this.abort;
    const { delivery } = host;
    delivery.reset();
    let reader: EnvelopeReader<unknown> | undefined;
    try {
      const stored = await host.store.readOffset(host.id);
      host.loaded(stored);
      let cursor = stored ?? 0;
      if (signal.aborted) return await this.afterAbort(host);
      reader = new EnvelopeReader(host.source.open(cursor, signal), signal, host.clock);
      for (;;) {
        let result: ReadResult<unknown>;
        try {
          result = await reader.read(delivery.batchSize, delivery.batchWithinMs);
        } catch (error) {
          // A query that cannot deserialise a stored event ends its stream naming the
          // event: it is bad input (the policy stops, or skips it and the source is
          // reopened after it), not a failure a restart would get past.
          const bad = undeserializableEnvelope(error);
          if (bad === undefined || bad.offset <= cursor) throw error;
          await host.handle([bad]);
          cursor = bad.offset;
          reader.close();
          if (signal.aborted) return await this.afterAbort(host);
          reader = new EnvelopeReader(host.source.open(cursor, signal), signal, host.clock);
          continue;
        }
        const { envelopes, end } = result;
        const fresh: EventEnvelope<unknown>[] = [];
        for (const envelope of envelopes) {
          // Drops what a replaying or restarted source yields again, so nothing is handled twice in one run.
          if (envelope.offset > cursor) {
            fresh.push(envelope);
            cursor = envelope.offset;
          }
        }
        if (fresh.length > 0) await host.handle(fresh);
        if (end === 'aborted') return await this.afterAbort(host);
        if (end === 'completed') {
          await delivery.flush();
          return { kind: 'completed' };
        }
      }
    } catch (error) {
      // Whatever was handled before the failure is stored, so a restart repeats as little as possible.
      await delivery.flush().catch(() => undefined);
      if (signal.aborted && this.failure === undefined) return { kind: 'aborted' };
      return { kind: error instanceof UndecodableEventError ? 'fatal' : 'failed', error };
    } finally {
      reader?.close();
    }
  }

  private async afterAbort(host: IncarnationHost): Promise<Outcome> {
    if (this.failure !== undefined) throw this.failure.error;
    await host.delivery.flush();
    return { kind: 'aborted' };
  }
}
