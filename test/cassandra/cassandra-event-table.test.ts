import type { AtomicWrite, PersistentRepr } from '@troupe/persistence';
import { CassandraJournal, type EventTableRow } from '@troupe/persistence-cassandra';
import type cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cassandraAvailable } from '../setup/services-env.js';
import { dropKeyspaces, testClient, uniqueKeyspace } from './cassandra-fixtures.js';
import { holdCassandraShared } from './cassandra-lock.js';

// Its own keyspace: eventTable reads the whole table, so nothing else may write here.
const keyspace = uniqueKeyspace('event_table_it');
const encoder = new TextEncoder();
const PIDS = 40;
const EVENTS = 23; // partitions of 5: 0..4 per id, the last one partly filled
let client: cassandra.Client;
let journal: CassandraJournal;

function write(persistenceId: string, from: number, to: number): AtomicWrite {
  const events: PersistentRepr[] = [];
  for (let seq = from; seq <= to; seq++) {
    events.push({
      persistenceId,
      sequenceNr: seq,
      payload: encoder.encode(`${persistenceId}:${seq}`),
      serializerId: 'json',
      manifest: 'm',
      eventManifest: '',
      tags: [],
      timestamp: seq,
      writerUuid: 'w',
    });
  }
  return { persistenceId, events };
}

async function collect(rows: AsyncIterable<EventTableRow>): Promise<EventTableRow[]> {
  const all: EventTableRow[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

describe.skipIf(!cassandraAvailable())('CassandraJournal.eventTable', () => {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await holdCassandraShared('event-table');
    client = testClient();
    journal = new CassandraJournal({ client, keyspace, targetPartitionSize: 5 });
    const ids = Array.from({ length: PIDS }, (_, i) => `scan-${i}`);
    // Writes of 1..3 events, so some cross partition boundaries and move whole.
    for (let seq = 1; seq <= EVENTS;) {
      const to = Math.min(EVENTS, seq + (seq % 3));
      expect(await journal.writeMessages(ids.map((id) => write(id, seq, to)))).toEqual(ids.map(() => undefined));
      seq = to + 1;
    }
  });
  afterAll(async () => {
    try {
      await journal.close();
      await dropKeyspaces(client, keyspace);
    } finally {
      release?.();
    }
  });

  it('returns every stored event exactly once, with its partition, across many token ranges read in parallel', async () => {
    const rows = await collect(journal.eventTable({ parallelism: 4, splits: 64, pageSize: 7 }));
    expect(rows).toHaveLength(PIDS * EVENTS);
    const keys = new Set(rows.map((r) => `${r.key.persistenceId}/${r.key.sequenceNr}`));
    expect(keys.size).toBe(PIDS * EVENTS);
    for (const row of rows) {
      expect(row.event.persistenceId).toBe(row.key.persistenceId);
      expect(row.event.sequenceNr).toBe(row.key.sequenceNr);
      expect(new TextDecoder().decode(row.event.payload)).toBe(`${row.key.persistenceId}:${row.key.sequenceNr}`);
    }
    // Partition numbers are where the journal put the events (a moved write has the later one).
    const partitionsOfFirstId = rows.filter((r) => r.key.persistenceId === 'scan-0').map((r) => [r.key.sequenceNr, r.key.partitionNr]);
    const expected = await client.execute(`SELECT sequence_nr, partition_nr FROM ${keyspace}.messages WHERE persistence_id = 'scan-0' ALLOW FILTERING`);
    expect(new Map(partitionsOfFirstId.map(([s, p]) => [s, p]))).toEqual(new Map(expected.rows.map((r) => [Number(r['sequence_nr']), Number(r['partition_nr'])])));
  });

  it('orders rows ascending within each persistence id and partition (the documented contract)', async () => {
    const rows = await collect(journal.eventTable({ parallelism: 3, splits: 12, pageSize: 4 }));
    const last = new Map<string, number>();
    for (const { key } of rows) {
      const group = `${key.persistenceId}/${key.partitionNr}`;
      expect(key.sequenceNr).toBeGreaterThan(last.get(group) ?? 0);
      last.set(group, key.sequenceNr);
    }
    // Sorting by key gives each id's full history in order (akka-analytics' sortByKey).
    const sorted = [...rows].sort((a, b) => a.key.persistenceId.localeCompare(b.key.persistenceId) || a.key.partitionNr - b.key.partitionNr || a.key.sequenceNr - b.key.sequenceNr);
    expect(sorted.filter((r) => r.key.persistenceId === 'scan-7').map((r) => r.key.sequenceNr)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
  });

  it('reads its token ranges with up to `parallelism` queries in flight at once', async () => {
    // Counts the scan queries in flight on the journal's (shared) client.
    const execute = client.execute.bind(client);
    let inFlight = 0;
    let most = 0;
    client.execute = (async (...args: Parameters<typeof client.execute>) => {
      const scan = typeof args[0] === 'string' && args[0].includes('token(persistence_id, partition_nr) >');
      if (scan) most = Math.max(most, ++inFlight);
      try {
        return await (execute as (...a: unknown[]) => Promise<unknown>)(...args);
      } finally {
        if (scan) inFlight--;
      }
    }) as typeof client.execute;
    try {
      expect(await collect(journal.eventTable({ parallelism: 4, splits: 32, pageSize: 50 }))).toHaveLength(PIDS * EVENTS);
    } finally {
      client.execute = execute;
    }
    expect(most).toBe(4);
  });

  it('gives the same rows with one worker and one token range', async () => {
    const rows = await collect(journal.eventTable({ parallelism: 1, splits: 1, pageSize: 100 }));
    expect(rows).toHaveLength(PIDS * EVENTS);
  });

  it('stops reading when the consumer breaks out early, and can scan again after', async () => {
    let seen = 0;
    for await (const _row of journal.eventTable({ parallelism: 4, pageSize: 5 })) {
      if (++seen === 10) break;
    }
    expect(seen).toBe(10);
    expect(await collect(journal.eventTable({ parallelism: 2 }))).toHaveLength(PIDS * EVENTS);
  });

  it('ends when its signal aborts', async () => {
    const controller = new AbortController();
    let seen = 0;
    for await (const _row of journal.eventTable({ parallelism: 2, pageSize: 5, signal: controller.signal })) {
      if (++seen === 3) controller.abort();
    }
    expect(seen).toBeGreaterThanOrEqual(3);
    expect(seen).toBeLessThan(PIDS * EVENTS);
  });

  it('does not return deleted events', async () => {
    await journal.deleteMessagesTo('scan-3', 12);
    const rows = await collect(journal.eventTable({ parallelism: 4 }));
    expect(
      rows
        .filter((r) => r.key.persistenceId === 'scan-3')
        .map((r) => r.key.sequenceNr)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: EVENTS - 12 }, (_, i) => i + 13));
    expect(rows).toHaveLength(PIDS * EVENTS - 12);
  });

  it('checks its options, naming the bad one', () => {
    expect(() => journal.eventTable({ parallelism: 0 })).toThrow(new RangeError('eventTable: parallelism must be an integer in 1..256, got 0'));
    expect(() => journal.eventTable({ parallelism: 4, splits: 2 })).toThrow(/splits must be an integer in parallelism \(4\)\.\.1000000, got 2/);
    expect(() => journal.eventTable({ pageSize: 1.5 })).toThrow(/pageSize must be a positive integer, got 1.5/);
  });
});
