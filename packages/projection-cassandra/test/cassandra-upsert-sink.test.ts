import { fileURLToPath } from 'node:url';
import cassandra from 'cassandra-driver';
import { runNodeProgram } from '@troupe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CassandraOffsetStore, CassandraUpsertSink } from '../src/index.js';
import { contactPoint, testClient, uniqueKeyspace } from './fixtures/cassandra-test-client.js';
// @ts-expect-error a plain ES module shared with the child program, without types
import { TABLES, syntheticEvent } from './fixtures/ledger-schema.mjs';

// The repository's globalSetup sets these when the services answer; without Java, outside CI, it
// prints a notice and the suites skip. Under CI=true it fails instead, so they never skip there.
const unavailable = process.env.TROUPE_CASSANDRA_CONTACT_POINTS === undefined;
const keyspace = uniqueKeyspace('upserts');
const child = fileURLToPath(new URL('./fixtures/ledger-child.mjs', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));
let client: cassandra.Client;

beforeAll(async () => {
  if (unavailable) return;
  client = testClient();
  await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  for (const cql of TABLES as string[]) await client.execute(cql.replace('%s', keyspace));
});
afterAll(async () => {
  if (unavailable) return;
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } finally {
    await client.shutdown();
  }
});

const numberOf = (value: unknown): number => (typeof value === 'number' ? value : (value as cassandra.types.Long).toNumber());

describe.skipIf(unavailable)('CassandraUpsertSink', () => {
  it('upserts rows keyed by the primary key: writing them again leaves the same table', async () => {
    const sink = await CassandraUpsertSink.create({ client, keyspace, table: 'entity_event', columns: ['entity', 'seq_nr', 'amount'], maxBatchRows: 3 });
    const rows = Array.from({ length: 20 }, (_, i) => [`u${i % 4}`, cassandra.types.Long.fromNumber(i), i] as const);
    await sink.upsert(rows);
    await sink.upsert(rows);
    const stored = await client.execute(`SELECT entity, seq_nr, amount FROM ${keyspace}.entity_event WHERE entity IN ('u0', 'u1', 'u2', 'u3')`);
    expect(stored.rows.map((r) => [r.get('entity'), numberOf(r.get('seq_nr')), r.get('amount')]).sort((a, b) => (a[1] as number) - (b[1] as number))).toEqual(
      rows.map(([e, s, a]) => [e, s.toNumber(), a]),
    );
    await sink.delete([
      ['u0', cassandra.types.Long.fromNumber(0)],
      ['u1', cassandra.types.Long.fromNumber(1)],
    ]);
    expect((await client.execute(`SELECT count(*) AS n FROM ${keyspace}.entity_event WHERE entity IN ('u0', 'u1')`)).first()?.get('n').toNumber()).toBe(8);
  });

  it('refuses a table with a counter column, a missing primary key column, an unknown column and a missing table', async () => {
    await expect(CassandraUpsertSink.create({ client, keyspace, table: 'entity_counter', columns: ['entity', 'total'] })).rejects.toThrow(
      new TypeError(
        `CassandraUpsertSink: ${keyspace}.entity_counter.total is a counter column; counters are not idempotent (a replay after a crash counts twice): store values the events determine instead`,
      ),
    );
    await expect(CassandraUpsertSink.create({ client, keyspace, table: 'entity_event', columns: ['entity', 'amount'] })).rejects.toThrow(
      `CassandraUpsertSink: columns must include every primary key column of ${keyspace}.entity_event; seq_nr is missing`,
    );
    await expect(CassandraUpsertSink.create({ client, keyspace, table: 'entity_event', columns: ['entity', 'seq_nr', 'colour'] })).rejects.toThrow(`has no column colour`);
    await expect(CassandraUpsertSink.create({ client, keyspace, table: 'no_such_table', columns: ['a'] })).rejects.toMatchObject({ code: 'ERR_CASSANDRA_SINK_SCHEMA' });
    await expect(CassandraUpsertSink.create({ client, keyspace, table: 'entity_event', columns: ['entity', 'seq_nr'], concurrency: 0 })).rejects.toThrow(
      'CassandraUpsertSink: concurrency must be a positive integer, got 0',
    );
    const sink = await CassandraUpsertSink.create({ client, keyspace, table: 'entity_total', columns: ['entity', 'total', 'events', 'last_seq'] });
    await expect(sink.upsert([['x', 1]])).rejects.toThrow(RangeError);
  });
});

describe.skipIf(unavailable)('CassandraUpsertSink with CassandraOffsetStore under SIGKILL', () => {
  it('leaves the tables exactly as one pass would after the projection process was killed mid-batch four times, while a counter beside them over-counts', async () => {
    const EVENTS = 2_000;
    const KILLS = 4;
    const store = await CassandraOffsetStore.create({ client, keyspace });
    const id = { name: 'ledger', key: 'synthetic' };
    const run = (...extra: string[]) => runNodeProgram([child, contactPoint(), keyspace, String(EVENTS), ...extra], { cwd: packageDir, timeoutMs: 120_000 });
    const offsetsAtKills: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const result = await run('3');
      expect({ signal: result.signal, stderr: result.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
      offsetsAtKills.push((await store.readOffset(id)) ?? 0);
    }
    // Each run stored two batches and was killed inside its third, after its writes.
    expect(offsetsAtKills).toEqual([200, 400, 600, 800]);
    const last = await run();
    expect({ code: last.code, stderr: last.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(last.stdout)).toEqual({ storedOffset: EVENTS, handled: EVENTS - 800 });

    // One pass over the same events, computed here.
    const seqOf = new Map<string, number>();
    const expected = new Map<string, { total: number; events: number; last: number }>();
    const expectedRows: [string, number, number][] = [];
    for (let i = 1; i <= EVENTS; i++) {
      const e = syntheticEvent(i, seqOf) as { persistenceId: string; sequenceNr: number; event: { amount: number } };
      expectedRows.push([e.persistenceId, e.sequenceNr, e.event.amount]);
      const t = expected.get(e.persistenceId) ?? { total: 0, events: 0, last: 0 };
      expected.set(e.persistenceId, { total: t.total + e.event.amount, events: t.events + 1, last: e.sequenceNr });
    }
    const entities = [...expected.keys()].map((e) => `'${e}'`).join(', ');
    const rows = await client.execute(`SELECT entity, seq_nr, amount FROM ${keyspace}.entity_event WHERE entity IN (${entities})`, [], { fetchSize: 10_000 });
    const stored = rows.rows.map((r) => [r.get('entity') as string, numberOf(r.get('seq_nr')), r.get('amount') as number] as [string, number, number]);
    const order = (a: [string, number, number], b: [string, number, number]): number => a[0].localeCompare(b[0]) || a[1] - b[1];
    expect(stored.sort(order)).toEqual(expectedRows.sort(order));
    const totals = await client.execute(`SELECT entity, total, events, last_seq FROM ${keyspace}.entity_total`);
    expect(new Map(totals.rows.map((r) => [r.get('entity') as string, { total: r.get('total') as number, events: r.get('events') as number, last: numberOf(r.get('last_seq')) }]))).toEqual(expected);

    // The counter took every replayed batch again: KILLS batches of 100 events.
    const counters = await client.execute(`SELECT entity, total FROM ${keyspace}.entity_counter`);
    const counted = counters.rows.reduce((sum, r) => sum + numberOf(r.get('total')), 0);
    const exact = [...expected.values()].reduce((sum, t) => sum + t.total, 0);
    expect(counted).toBeGreaterThan(exact);
  });
});
