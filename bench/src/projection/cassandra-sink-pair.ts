import cassandra from 'cassandra-driver';
import type { EventEnvelope } from '@troupe/persistence';
import { IterableSource, Projection } from '@troupe/projection';
import { CassandraOffsetStore, CassandraUpsertSink } from '@troupe/projection-cassandra';
import { type SyntheticReading, envelopesAfter } from './synthetic-events.js';

/** Same statement shapes for both subjects: these match CassandraUpsertSink's defaults. */
const CONCURRENCY = 64;
const MAX_BATCH_ROWS = 50;
const QUORUM = cassandra.types.consistencies.quorum;

/** Creates the tables of one run in `keyspace` (created by the caller). */
export async function createCassandraTables(client: cassandra.Client, keyspace: string, table: string): Promise<void> {
  await client.execute(`CREATE TABLE IF NOT EXISTS ${keyspace}.${table} (station text, hour int, temperature double, PRIMARY KEY ((station), hour))`);
}

/** Events/s of `Projection.grouped` into `CassandraUpsertSink`, offsets in `CassandraOffsetStore`. */
export async function cassandraProjection(client: cassandra.Client, keyspace: string, table: string, envelopes: readonly EventEnvelope<SyntheticReading>[], batchSize: number): Promise<number> {
  const sink = await CassandraUpsertSink.create({ client, keyspace, table, columns: ['station', 'hour', 'temperature'], concurrency: CONCURRENCY, maxBatchRows: MAX_BATCH_ROWS });
  const offsets = await CassandraOffsetStore.create({ client, keyspace, createSchema: false });
  await offsets.clearOffset({ name: table, key: 'bench' });
  const started = performance.now();
  const projection = Projection.grouped<SyntheticReading>({
    name: table,
    source: IterableSource.create('bench', (after) => envelopesAfter(envelopes, after)),
    offsetStore: offsets,
    groupAfterEnvelopes: batchSize,
    groupAfterMs: 50,
    handler: (batch) => sink.upsert(batch.map(({ event }) => [event.station, event.hour, event.temperature])),
  }).start();
  await projection.done;
  const seconds = (performance.now() - started) / 1000;
  if (projection.status().storedOffset !== envelopes.length) throw new Error(`cassandra projection stored ${projection.status().storedOffset}, expected ${envelopes.length}`);
  return envelopes.length / seconds;
}

/**
 * Events/s of a plain loop over the same source with the raw driver: per batch, rows grouped
 * by partition into unlogged batches of at most 50, up to 64 statements in flight, then the
 * offset row — the writes the sink and the offset store make, without the projection runtime.
 */
export async function cassandraRaw(client: cassandra.Client, keyspace: string, table: string, envelopes: readonly EventEnvelope<SyntheticReading>[], batchSize: number): Promise<number> {
  const insert = `INSERT INTO ${keyspace}.${table} (station, hour, temperature) VALUES (?, ?, ?)`;
  const saveOffset = `INSERT INTO ${keyspace}.projection_offset (projection_name, projection_key, current_offset, last_updated) VALUES (?, ?, ?, ?)`;
  const write = async (batch: readonly EventEnvelope<SyntheticReading>[]): Promise<void> => {
    const byStation = new Map<string, unknown[][]>();
    for (const { event } of batch) {
      const rows = byStation.get(event.station);
      const row = [event.station, event.hour, event.temperature];
      if (rows === undefined) byStation.set(event.station, [row]);
      else rows.push(row);
    }
    const statements: (() => Promise<unknown>)[] = [];
    for (const rows of byStation.values()) {
      for (let i = 0; i < rows.length; i += MAX_BATCH_ROWS) {
        const chunk = rows.slice(i, i + MAX_BATCH_ROWS);
        statements.push(() =>
          chunk.length === 1
            ? client.execute(insert, chunk[0], { prepare: true, consistency: QUORUM })
            : client.batch(
                chunk.map((params) => ({ query: insert, params })),
                { prepare: true, consistency: QUORUM, logged: false },
              ),
        );
      }
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, statements.length) }, async () => {
        while (next < statements.length) await statements[next++]!();
      }),
    );
    await client.execute(saveOffset, [`${table}-raw`, 'bench', cassandra.types.Long.fromNumber(batch.at(-1)!.offset), new Date()], { prepare: true, consistency: QUORUM });
  };
  const started = performance.now();
  let batch: EventEnvelope<SyntheticReading>[] = [];
  for await (const envelope of envelopesAfter(envelopes, 0)) {
    batch.push(envelope);
    if (batch.length === batchSize) {
      await write(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await write(batch);
  return envelopes.length / ((performance.now() - started) / 1000);
}
