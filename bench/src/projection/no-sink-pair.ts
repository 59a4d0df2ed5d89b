import type { EventEnvelope } from '@troupe/persistence';
import { InMemoryOffsetStore, IterableSource, Projection } from '@troupe/projection';
import { type SyntheticReading, envelopesAfter } from './synthetic-events.js';

/** Events/s of `Projection.grouped` with a handler that writes nothing and offsets in memory: the runtime's own cost per event. */
export async function noSinkProjection(envelopes: readonly EventEnvelope<SyntheticReading>[], batchSize: number): Promise<number> {
  let seen = 0;
  const started = performance.now();
  const projection = Projection.grouped<SyntheticReading>({
    name: 'bench',
    source: IterableSource.create('bench', (after) => envelopesAfter(envelopes, after)),
    offsetStore: new InMemoryOffsetStore(),
    groupAfterEnvelopes: batchSize,
    groupAfterMs: 50,
    handler: (batch) => {
      seen += batch.length;
    },
  }).start();
  await projection.done;
  if (seen !== envelopes.length) throw new Error(`no-sink projection saw ${seen}, expected ${envelopes.length}`);
  return envelopes.length / ((performance.now() - started) / 1000);
}

/** Events/s of the plain loop over the same source, batching and dropping. */
export async function noSinkRaw(envelopes: readonly EventEnvelope<SyntheticReading>[], batchSize: number): Promise<number> {
  let seen = 0;
  let offset = 0;
  const started = performance.now();
  let batch: EventEnvelope<SyntheticReading>[] = [];
  for await (const envelope of envelopesAfter(envelopes, 0)) {
    batch.push(envelope);
    if (batch.length === batchSize) {
      seen += batch.length;
      offset = envelope.offset;
      batch = [];
    }
  }
  seen += batch.length;
  if (seen !== envelopes.length || (offset === 0 && envelopes.length >= batchSize)) throw new Error(`no-sink raw loop saw ${seen}, expected ${envelopes.length}`);
  return envelopes.length / ((performance.now() - started) / 1000);
}
