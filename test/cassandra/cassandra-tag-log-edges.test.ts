/**
 * Edges of the ordered logs (`tag_log`, `persistence_id_log`) on a real Cassandra: a group
 * commit with more entries than a block holds, the consistency of the recovery's repair
 * reads, and two writes of one id in one call when the first one's append fails.
 *
 * An append that fails after its events are stored is made real by dropping the tag log
 * table under a journal that already knows the open block (so the write itself reads nothing
 * of the log): the messages row goes in, the conditional append is refused by the server.
 */
import type { AtomicWrite, PersistentRepr } from '@troupe/persistence';
import { CassandraJournal, CassandraTagLogError } from '@troupe/persistence-cassandra';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASSANDRA_LOCAL_DATA_CENTER, cassandraAvailable, cassandraContactPoints } from '../setup/services-env.js';
import { dropKeyspaces, testClient, uniqueKeyspace } from './cassandra-fixtures.js';
import { holdCassandraShared } from './cassandra-lock.js';

const keyspaces: string[] = [];
let release: (() => void) | undefined;
let client: cassandra.Client;
beforeAll(async () => {
  if (!cassandraAvailable()) return;
  release = await holdCassandraShared('tag-log-edges');
  client = testClient();
}, 300_000);
afterAll(async () => {
  try {
    if (cassandraAvailable()) await dropKeyspaces(client, ...keyspaces);
  } finally {
    release?.();
  }
});

const encoder = new TextEncoder();
let counter = 0;
const freshPid = (what: string): string => `${what}-${++counter}-${Date.now()}`;

function event(persistenceId: string, sequenceNr: number, tags: readonly string[], writerUuid = 'w'): PersistentRepr {
  return {
    persistenceId,
    sequenceNr,
    payload: encoder.encode(`${persistenceId}:${sequenceNr}`),
    serializerId: 'json',
    manifest: 'm',
    eventManifest: '',
    tags,
    timestamp: 1_700_000_000_000 + sequenceNr,
    writerUuid,
  };
}

function write(persistenceId: string, from: number, to: number, tags: readonly string[]): AtomicWrite {
  const events: PersistentRepr[] = [];
  for (let seq = from; seq <= to; seq++) events.push(event(persistenceId, seq, tags));
  return { persistenceId, events };
}

function freshKeyspace(prefix: string): string {
  const keyspace = uniqueKeyspace(prefix);
  keyspaces.push(keyspace);
  return keyspace;
}

const journalOn = (keyspace: string, extra: Partial<ConstructorParameters<typeof CassandraJournal>[0]> = {}): CassandraJournal =>
  new CassandraJournal({ contactPoints: cassandraContactPoints(), localDataCenter: CASSANDRA_LOCAL_DATA_CENTER, keyspace, ...extra });

async function replayed(journal: CassandraJournal, pid: string): Promise<number[]> {
  const numbers: number[] = [];
  for await (const page of journal.replayMessages(pid, { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) numbers.push(...page.map((e) => e.sequenceNr));
  return numbers;
}

async function blocksOf(keyspace: string, table: string, key: string): Promise<{ block: number; high: number; sealed: boolean }[]> {
  const result = await client.execute(`SELECT block, high, sealed FROM ${keyspace}.${table} WHERE tag = ? AND block = ?`, [key, 0], { prepare: true });
  const blocks: { block: number; high: number; sealed: boolean }[] = [];
  // Blocks are numbered from 0 without holes; read them until one is absent.
  for (let block = 0, rows = result.rows; rows.length > 0; block++) {
    const row = rows[0] as cassandra.types.Row;
    blocks.push({ block, high: Number(row['high'] ?? 0), sealed: row['sealed'] === true });
    rows = (await client.execute(`SELECT block, high, sealed FROM ${keyspace}.${table} WHERE tag = ? AND block = ?`, [key, block + 1], { prepare: true })).rows;
  }
  return blocks;
}

/**
 * Stores `writes` (one call) with the tag log gone: the journal knows the open block of `tag`
 * from `warm`, so it stores the events, then its append fails. The table is made again afterwards.
 */
async function storeWithoutAppend(journal: CassandraJournal, keyspace: string, tag: string, writes: readonly AtomicWrite[]): Promise<unknown> {
  const warmed = await journal.writeMessages([write(freshPid('warm'), 1, 1, [tag])]);
  expect(warmed).toEqual([undefined]);
  await client.execute(`DROP TABLE ${keyspace}.tag_log`);
  let outcome: unknown;
  try {
    outcome = await journal.writeMessages(writes);
  } catch (error) {
    outcome = error;
  }
  await client.execute(journal.statements.tagLog.create);
  return outcome;
}

describe.skipIf(!cassandraAvailable())('Cassandra ordered logs: edges', () => {
  it('appends a group commit holding more entries than a block (tag log and persistence-id log), sealing no empty block', async () => {
    const keyspace = freshKeyspace('taglog_blocks');
    const journal = journalOn(keyspace, { tagBlockSize: 5 });
    try {
      const warm = freshPid('warm');
      expect(await journal.writeMessages([write(warm, 1, 1, ['t'])])).toEqual([undefined]);
      // Six writes of two tagged events, six new ids: 12 tag entries and 6 id entries in one group commit.
      const pids = [0, 1, 2, 3, 4, 5].map(() => freshPid('many'));
      const results = await journal.writeMessages(pids.map((pid) => write(pid, 1, 2, ['t'])));
      expect(results).toEqual(pids.map(() => undefined));
      const listed = await journal.currentEventsByTag('t', 0, 100);
      expect(listed.map((e) => `${e.repr.persistenceId}#${e.repr.sequenceNr}`)).toEqual([`${warm}#1`, ...pids.flatMap((pid) => [`${pid}#1`, `${pid}#2`])]);
      const ids = await journal.currentPersistenceIds(0, 100);
      expect(ids.map((e) => e.persistenceId)).toEqual([warm, ...pids]);
      // 13 entries in blocks of 5, batches never split across a block: no block is sealed empty.
      for (const [table, key] of [
        ['tag_log', 't'],
        ['persistence_id_log', ''],
      ] as const) {
        const blocks = await blocksOf(keyspace, table, key);
        expect(blocks.length).toBeLessThanOrEqual(5);
        for (const block of blocks.slice(0, -1)) expect(block.high, `${table} block ${block.block}`).toBeGreaterThan(0);
      }
    } finally {
      await journal.close();
    }
  }, 120_000);

  it("runs the repair's reads after its seal at serial consistency even when readConsistency is ONE", async () => {
    const keyspace = freshKeyspace('taglog_serial');
    const writer = journalOn(keyspace);
    const pid = freshPid('repaired');
    try {
      const outcome = await storeWithoutAppend(writer, keyspace, 'r', [write(pid, 1, 2, ['r'])]);
      expect(outcome).toBeInstanceOf(CassandraTagLogError);
    } finally {
      await writer.close();
    }
    const executed: { query: string; consistency: number; serial: number | undefined }[] = [];
    let tracking = false;
    const note = (query: unknown, options: cassandra.ExecutionOptions): void => {
      if (!tracking) return;
      const queries = Array.isArray(query) ? query.map((q: { query: string } | string) => (typeof q === 'string' ? q : q.query)) : [String(query)];
      for (const text of queries) executed.push({ query: text, consistency: options.getConsistency(), serial: options.getSerialConsistency() });
    };
    // The driver's own hook on every request it sends: the options each statement really ran with.
    // Its typings declare RequestTracker an interface; the driver checks for an instance of its class.
    const TrackerBase = (cassandra.tracker as unknown as { RequestTracker: new () => object }).RequestTracker;
    class Tracker extends TrackerBase implements cassandra.tracker.RequestTracker {
      onSuccess(_host: unknown, query: unknown, _params: unknown, options: cassandra.ExecutionOptions): void {
        note(query, options);
      }
      onError(_host: unknown, query: unknown, _params: unknown, options: cassandra.ExecutionOptions): void {
        note(query, options);
      }
      shutdown(): void {}
    }
    const tracker = new Tracker();
    const traced = new cassandra.Client({ contactPoints: cassandraContactPoints(), localDataCenter: CASSANDRA_LOCAL_DATA_CENTER, requestTracker: tracker });
    const recovering = new CassandraJournal({ client: traced, keyspace, readConsistency: 'ONE' });
    try {
      await recovering.client();
      tracking = true;
      expect(await recovering.readHighestSequenceNr(pid, 1)).toBe(2);
      tracking = false;
      const log = recovering.statements.tagLog;
      const sealAt = executed.findIndex((e) => e.query === log.seal);
      expect(sealAt, 'the repair sealed the open block').toBeGreaterThanOrEqual(0);
      // The re-check after the seal: every read up to the last progress read (the repair's own
      // append then finds its block as any append does, guarded by its condition).
      const lastProgress = executed.findLastIndex((e) => e.query === log.selectProgress);
      expect(lastProgress, 'the repair read the progress again after the seal').toBeGreaterThan(sealAt);
      const recheck = executed.slice(sealAt + 1, lastProgress + 1).filter((e) => e.query === log.selectProgress || e.query === log.selectState);
      for (const read of recheck) expect(read.consistency, read.query).toBe(cassandra.types.consistencies.serial);
      // So was the search for the block to seal: the reads of the block state just before the seal.
      const beforeSeal = executed.slice(0, sealAt).findLast((e) => e.query === log.selectState);
      expect(beforeSeal?.consistency).toBe(cassandra.types.consistencies.serial);
      const listed = await recovering.currentEventsByTag('r', 0, 100);
      expect(listed.filter((e) => e.repr.persistenceId === pid).map((e) => e.repr.sequenceNr)).toEqual([1, 2]);
    } finally {
      await recovering.close();
      await traced.shutdown();
    }
  }, 120_000);

  it("stores nothing of a later write of the same id in one call once an earlier one's append failed, and recovery lists the earlier one", async () => {
    const keyspace = freshKeyspace('taglog_samecall');
    const writer = journalOn(keyspace);
    const pid = freshPid('twice');
    try {
      const outcome = await storeWithoutAppend(writer, keyspace, 's', [write(pid, 1, 1, ['s']), write(pid, 2, 2, ['s'])]);
      expect(outcome).toBeInstanceOf(CassandraTagLogError);
    } finally {
      await writer.close();
    }
    const recovering = journalOn(keyspace);
    try {
      expect(await replayed(recovering, pid)).toEqual([1]);
      expect(await recovering.readHighestSequenceNr(pid, 1)).toBe(1);
      const listed = await recovering.currentEventsByTag('s', 0, 100);
      expect(listed.filter((e) => e.repr.persistenceId === pid).map((e) => e.repr.sequenceNr)).toEqual([1]);
    } finally {
      await recovering.close();
    }
  }, 120_000);
});
