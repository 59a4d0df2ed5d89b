import type cassandra from 'cassandra-driver';
import type { EventEnvelope } from '@troupe/persistence';
import { IterableSource, OffsetStoreError, Projection } from '@troupe/projection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CassandraOffsetStore } from '../src/index.js';
import { testClient, uniqueKeyspace } from './fixtures/cassandra-test-client.js';

// The repository's globalSetup sets these when the services answer; without Java, outside CI, it
// prints a notice and the suites skip. Under CI=true it fails instead, so they never skip there.
const unavailable = process.env.TROUPE_CASSANDRA_CONTACT_POINTS === undefined;
const keyspace = uniqueKeyspace('offsets');
let client: cassandra.Client;

beforeAll(() => {
  if (unavailable) return;
  client = testClient();
});
afterAll(async () => {
  if (unavailable) return;
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } finally {
    await client.shutdown();
  }
});

describe.skipIf(unavailable)('CassandraOffsetStore', () => {
  it('stores, reads back, overwrites and clears an offset per projection id, in a table a new client sees', async () => {
    const store = await CassandraOffsetStore.create({ client, keyspace });
    const a = { name: 'totals', key: 'tag:orders' };
    const b = { name: 'totals', key: 'tag:orders|slices:0-511/1024' };
    expect(await store.readOffset(a)).toBeUndefined();
    await store.saveOffset(a, 42);
    await store.saveOffset(b, 7);
    expect(await store.readOffset(a)).toBe(42);
    await store.saveOffset(a, 2 ** 40);
    const other = testClient();
    try {
      const again = await CassandraOffsetStore.create({ client: other, keyspace, createSchema: false });
      expect(await again.readOffset(a)).toBe(2 ** 40);
      expect(await again.readOffset(b)).toBe(7);
      await again.clearOffset(a);
    } finally {
      await other.shutdown();
    }
    expect(await store.readOffset(a)).toBeUndefined();
    expect(await store.readOffset(b)).toBe(7);
    const row = await client.execute(`SELECT projection_name, projection_key, current_offset, last_updated FROM ${keyspace}.projection_offset WHERE projection_name = ? AND projection_key = ?`, [
      b.name,
      b.key,
    ]);
    expect(row.first()?.get('last_updated')).toBeInstanceOf(Date);
  });

  it('lets a new projection resume from the offset the previous one stored', async () => {
    const store = await CassandraOffsetStore.create({ client, keyspace, table: 'resume_offsets' });
    const opened: number[] = [];
    const handled: number[] = [];
    const source = IterableSource.create<{ n: number }>('numbers', async function* (after) {
      opened.push(after);
      for (let i = after + 1; i <= 250; i++) yield { offset: i, persistenceId: 'n', sequenceNr: i, event: { n: i }, timestamp: 0, tags: [] } satisfies EventEnvelope<{ n: number }>;
    });
    const first = Projection.atLeastOnce({ name: 'resume', source, offsetStore: store, handler: (e) => void handled.push(e.offset), saveOffsetAfterEnvelopes: 100 }).start();
    await first.done;
    expect(await store.readOffset(first.id)).toBe(250);

    const fresh = testClient();
    try {
      const second = Projection.atLeastOnce({
        name: 'resume',
        source,
        offsetStore: await CassandraOffsetStore.create({ client: fresh, keyspace, table: 'resume_offsets' }),
        handler: (e) => void handled.push(e.offset),
      }).start();
      await second.done;
    } finally {
      await fresh.shutdown();
    }
    expect(opened).toEqual([0, 250]);
    expect(handled).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
  });

  it('refuses bad options naming the field, and a missing table when createSchema is off', async () => {
    await expect(CassandraOffsetStore.create({ client, keyspace: 'bad-name' })).rejects.toThrow(
      new TypeError('CassandraOffsetStore: keyspace must be a CQL name (a letter, then letters, digits or _; at most 48), got "bad-name"'),
    );
    await expect(CassandraOffsetStore.create({ client, keyspace, replicationFactor: 0 })).rejects.toThrow(RangeError);
    await expect(CassandraOffsetStore.create({ client, keyspace, consistency: 'TWO' as never })).rejects.toThrow(/consistency must be one of ONE, LOCAL_ONE, QUORUM, LOCAL_QUORUM, ALL, got "TWO"/);
    await expect(CassandraOffsetStore.create({ client: {} as cassandra.Client, keyspace })).rejects.toThrow(/client must be a cassandra-driver Client/);
    await expect(CassandraOffsetStore.create({ client, keyspace, table: 'never_created', createSchema: false })).rejects.toMatchObject({ code: 'ERR_CASSANDRA_SINK_SCHEMA' });
    const store = await CassandraOffsetStore.create({ client, keyspace });
    await expect(store.saveOffset({ name: 'x', key: 'y' }, -1)).rejects.toThrow(RangeError);
  });

  it('reports a failed read as OffsetStoreError naming the projection', async () => {
    const store = await CassandraOffsetStore.create({ client, keyspace, table: 'dropped_offsets' });
    await client.execute(`DROP TABLE ${keyspace}.dropped_offsets`);
    const error = await store.readOffset({ name: 'gone', key: 'k' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffsetStoreError);
    expect(error).toMatchObject({ code: 'ERR_PROJECTION_OFFSET_STORE', message: expect.stringContaining('offset store: read for gone/k failed:') as unknown });
  });
});
