import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Sqlite from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { ActorSystem, silentLogger } from '@troupe/core';
import { InMemorySnapshotStore, Persistence, PersistenceQuery, SqliteJournal } from '@troupe/persistence';
import { ManualClock, awaitCondition, runNodeProgram } from '@troupe/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EventsByTagSource, Projection, SqliteOffsetStore } from '../src/index.js';
import { type Added, Feed, envelopes } from './fixtures/feed.js';
import { TaggedCounter } from './fixtures/tagged-counter.js';

// Vite cannot import node:sqlite; Node hands it over directly.
const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as typeof Sqlite;
type DatabaseSync = Sqlite.DatabaseSync;
const dir = mkdtempSync(join(tmpdir(), 'troupe-projection-eo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const wait = { timeoutMs: 20_000 };
const fast = { minBackoffMs: 1, maxBackoffMs: 1, randomFactor: 0 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let files = 0;
function openStore(): SqliteOffsetStore {
  const store = SqliteOffsetStore.open({ path: join(dir, `eo-${++files}.db`) });
  store.database.exec('CREATE TABLE applied (pid TEXT NOT NULL, seq INTEGER NOT NULL, times INTEGER NOT NULL, PRIMARY KEY (pid, seq))');
  cleanups.push(() => store.close());
  return store;
}

function appliedTimes(db: DatabaseSync): Map<string, number> {
  const rows = db.prepare('SELECT pid, seq, times FROM applied').all() as { pid: string; seq: number; times: number }[];
  return new Map(rows.map((row) => [`${row.pid}#${row.seq}`, row.times]));
}

/** Checks the child's read model: everything up to the stored offset applied exactly once, balances equal to a recompute. */
function checkReadModel(dbPath: string): number {
  const db = new DatabaseSync(dbPath);
  try {
    // A child killed while starting (slow under load) may not have created the tables yet.
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name));
    if (!tables.has('projection_offset') || !tables.has('applied') || !tables.has('balance')) {
      expect(tables.has('applied') ? appliedTimes(db).size : 0).toBe(0);
      return 0;
    }
    const row = db.prepare('SELECT current_offset AS o FROM projection_offset').get() as { o: number } | undefined;
    const offset = row?.o ?? 0;
    const times = appliedTimes(db);
    expect(times.size).toBe(offset);
    expect([...times.values()].every((t) => t === 1)).toBe(true);
    const balances = Object.fromEntries((db.prepare('SELECT account, cents FROM balance').all() as { account: string; cents: number }[]).map((r) => [r.account, r.cents]));
    const expected: Record<string, number> = {};
    for (let n = 1; n <= offset; n++) expected[`acct-${(n - 1) % 7}`] = (expected[`acct-${(n - 1) % 7}`] ?? 0) + n;
    expect(balances).toEqual(expected);
    return offset;
  } finally {
    db.close();
  }
}

describe('Projection.exactlyOnce on SqliteOffsetStore', () => {
  it('rolls back the sink writes of a batch whose handler throws after writing, so a restart applies it exactly once', async () => {
    const feed = new Feed();
    const store = openStore();
    const mark = store.database.prepare('INSERT INTO applied (pid, seq, times) VALUES (?, ?, 1) ON CONFLICT (pid, seq) DO UPDATE SET times = times + 1');
    let calls = 0;
    const projection = Projection.exactlyOnce({
      name: 'eo',
      source: feed.source(),
      offsetStore: store,
      logger: silentLogger,
      restartBackoff: fast,
      groupAfterEnvelopes: 5,
      handler: (batch, db) => {
        expect(db).toBe(store.database);
        for (const e of batch) mark.run(e.persistenceId, e.sequenceNr);
        calls++;
        if (calls === 2) throw new Error('crash after the sink write, before the commit');
      },
    }).start();
    cleanups.push(() => projection.stop());
    feed.push(...envelopes(1, 20));
    feed.end();
    await projection.done;
    expect(projection.status()).toMatchObject({ state: 'completed', restarts: 1, storedOffset: 20 });
    expect(calls).toBe(5); // batch 2 (offsets 6–10) ran twice; its first run left nothing behind
    const times = appliedTimes(store.database);
    expect(times.size).toBe(20);
    expect([...times.values()].every((t) => t === 1)).toBe(true);
    expect(await store.readOffset(projection.id)).toBe(20);
    expect(feed.opens).toEqual([0, 5]);
  });

  it('applies every event of concurrent writers exactly once while the handler keeps failing and restarting', async () => {
    const system = ActorSystem.create({ name: 'eo-live', logger: silentLogger });
    cleanups.push(() => system.terminate());
    Persistence.configure(system, { journals: { default: new SqliteJournal({ path: join(dir, `live-journal-${++files}.db`) }) }, snapshotStores: { default: new InMemorySnapshotStore() } });
    const tag = 'eo-live';
    const store = openStore();
    const mark = store.database.prepare('INSERT INTO applied (pid, seq, times) VALUES (?, ?, 1) ON CONFLICT (pid, seq) DO UPDATE SET times = times + 1');
    let batches = 0;
    const projection = Projection.exactlyOnce({
      name: 'eo-live',
      source: EventsByTagSource.create(await PersistenceQuery.readJournalFor<Added>(system), tag),
      offsetStore: store,
      logger: silentLogger,
      restartBackoff: { minBackoffMs: 1, maxBackoffMs: 5, randomFactor: 0 },
      groupAfterEnvelopes: 16,
      groupAfterMs: 5,
      handler: (batch) => {
        for (const e of batch) mark.run(e.persistenceId, e.sequenceNr);
        if (++batches % 5 === 0) throw new Error('every fifth batch fails after writing');
      },
    }).start();
    cleanups.push(() => projection.stop());

    const writers = Array.from({ length: 6 }, (_, i) => system.spawn(() => new TaggedCounter(`writer-${i}`, tag), { name: `writer-${i}` }));
    const perWriter = 120;
    await Promise.all(
      writers.map(async (writer) => {
        for (let n = 0; n < perWriter; n++) await writer.ask<number>((replyTo) => ({ n, replyTo }));
      }),
    );
    const total = writers.length * perWriter;
    // Read through the store's queue, so never inside a batch's open transaction.
    const committed = (): Promise<Map<string, number>> => store.withTransaction((db) => appliedTimes(db));
    await awaitCondition(async () => (await committed()).size === total && projection.status().state === 'running', { timeoutMs: 60_000 });
    const times = await committed();
    expect([...times.values()].every((t) => t === 1)).toBe(true);
    for (let i = 0; i < writers.length; i++) for (let seq = 1; seq <= perWriter; seq++) expect(times.get(`writer-${i}#${seq}`)).toBe(1);
    expect(projection.status().restarts).toBeGreaterThan(3);
  }, 90_000);

  it('commits a batch when groupAfterMs passes after its first envelope, on the injected clock', async () => {
    const feed = new Feed();
    const store = openStore();
    const clock = new ManualClock();
    const batches: number[][] = [];
    const projection = Projection.exactlyOnce({
      name: 'eo-time',
      source: feed.source(),
      offsetStore: store,
      clock,
      logger: silentLogger,
      groupAfterEnvelopes: 100,
      groupAfterMs: 250,
      handler: (batch) => void batches.push(batch.map((e) => e.offset)),
    }).start();
    cleanups.push(() => projection.stop());
    feed.push(...envelopes(1, 3));
    await awaitCondition(() => clock.pendingTimers === 1, wait);
    expect(batches).toEqual([]);
    clock.advance(250);
    await awaitCondition(() => projection.status().storedOffset === 3, wait);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(await store.readOffset(projection.id)).toBe(3);
  });

  it('keeps the read model equal to a recompute when SIGKILLed from outside at arbitrary moments', async () => {
    const dbPath = join(dir, 'child-external.db');
    const cwd = fileURLToPath(new URL('.', import.meta.url));
    const offsets: number[] = [0];
    let progressed = 0;
    // At least 8 kills, and at least 3 of them after some progress (a child may be killed
    // before it even starts on a loaded machine); bounded at 20 runs.
    for (let round = 0; round < 20 && (round < 8 || progressed < 3); round++) {
      // The parent's timeout SIGKILLs the child wherever it is: in a statement, between
      // the sink write and the commit, or between batches.
      const killed = await runNodeProgram(['fixtures/exactly-once-child.mjs', dbPath, '-1', '100000000'], { cwd, timeoutMs: 700 + (round % 8) * 170 });
      expect({ signal: killed.signal, stderr: killed.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
      const offset = checkReadModel(dbPath);
      // Each run resumed where the previous one committed.
      expect(offset).toBeGreaterThanOrEqual(offsets.at(-1)!);
      if (offset > offsets.at(-1)!) progressed++;
      offsets.push(offset);
    }
    expect(progressed).toBeGreaterThanOrEqual(3);
  }, 180_000);

  it('never applies an envelope twice across real SIGKILLs of the process inside a transaction', async () => {
    const dbPath = join(dir, 'child.db');
    const cwd = fileURLToPath(new URL('.', import.meta.url));
    const run = (killAtBatch: number) => runNodeProgram(['fixtures/exactly-once-child.mjs', dbPath, String(killAtBatch)], { cwd, timeoutMs: 60_000 });

    const killedAt: number[] = [];
    for (const killAtBatch of [3, 5, 1, 7]) {
      const crashed = await run(killAtBatch);
      expect({ signal: crashed.signal, stderr: crashed.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
      // Everything up to the stored offset is applied once; the killed batch left nothing.
      killedAt.push(checkReadModel(dbPath));
    }
    expect(killedAt).toEqual([20, 60, 60, 120]);

    const finished = await run(-1);
    expect({ code: finished.code, stderr: finished.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(finished.stdout)).toEqual({ state: 'completed', batches: 8 });
    // The non-idempotent balances equal a batch recompute exactly.
    expect(checkReadModel(dbPath)).toBe(200);
  }, 120_000);
});

describe('Projection.exactlyOnce handler reading in its transaction', () => {
  it('reads the stored offset and the read model in the same transaction as its writes', async () => {
    const feed = new Feed();
    feed.push(...envelopes(1, 9));
    feed.end();
    const store = openStore();
    const previous: (number | undefined)[] = [];
    const projection: Projection<Added> = Projection.exactlyOnce({
      name: 'reader',
      source: feed.source(),
      offsetStore: store,
      groupAfterEnvelopes: 4,
      logger: silentLogger,
      handler: async (batch, tx) => {
        // The offset committed with the previous batch, read through the store inside this transaction.
        previous.push(await store.readOffset(projection.id));
        const insert = tx.prepare('INSERT INTO applied VALUES (?, ?, 1)');
        for (const e of batch) insert.run(e.persistenceId, e.sequenceNr);
        const { n } = tx.prepare('SELECT count(*) AS n FROM applied').get() as { n: number };
        expect(n).toBe(batch[batch.length - 1]!.offset);
      },
    }).start();
    await projection.done;
    expect(previous).toEqual([undefined, 4, 8]);
    expect(await store.readOffset(projection.id)).toBe(9);
  });
});
