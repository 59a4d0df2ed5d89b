import { fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActorSystem, silentLogger } from '@troupe/core';
import { TestProbe } from '@troupe/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Persistence, SqliteJournal, SqliteSnapshotStore } from '../src/index.js';
import { Counter, type Note, type Reply } from './fixtures/counter-actor.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.terminate();
  system = undefined;
});

function startSystem(files: { journal: string; snapshots: string }): ActorSystem {
  const created = ActorSystem.create({ name: 'sqlite', logger: silentLogger });
  Persistence.configure(created, {
    journals: { default: { plugin: 'sqlite', options: { path: files.journal } } },
    snapshotStores: { default: { plugin: 'sqlite', options: { path: files.snapshots } } },
  });
  return created;
}

describe('SqliteJournal', () => {
  it('keeps events and snapshots across a restart of the actor system', async () => {
    const files = { journal: join(dir, 'restart', 'journal.db'), snapshots: join(dir, 'restart', 'snapshots.db') };
    system = startSystem(files);
    let probe = TestProbe.create<Reply>(system);
    const counter = system.spawn(() => new Counter('durable-1'), { name: 'c' });
    for (const n of [1, 2, 3]) counter.tell({ type: 'add', n, replyTo: probe.ref });
    counter.tell({ type: 'snapshot', replyTo: probe.ref });
    counter.tell({ type: 'add', n: 4, replyTo: probe.ref });
    await probe.receiveN(5);
    await system.terminate();

    system = startSystem(files);
    probe = TestProbe.create<Reply>(system);
    const notes = TestProbe.create<Note>(system);
    const again = system.spawn(() => new Counter('durable-1', { notes: notes.ref }), { name: 'c' });
    await notes.expectMessage({ note: 'recovered', total: 10, seq: 4, replayed: 1, snapshot: 3 });
    again.tell({ type: 'add', n: 5, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 15, seq: 5 });
  });

  it('uses WAL mode with the chosen synchronous level', async () => {
    const path = join(dir, 'pragmas.db');
    const normal = new SqliteJournal({ path });
    expect(normal.options).toMatchObject({ path, synchronous: 'normal' });
    await normal.writeMessages([
      {
        persistenceId: 'p',
        events: [{ persistenceId: 'p', sequenceNr: 1, payload: new Uint8Array(1), serializerId: 'json', manifest: '', eventManifest: '', tags: [], timestamp: 0, writerUuid: 'w' }],
      },
    ]);
    expect(existsSync(`${path}-wal`)).toBe(true);
    await normal.close();
    const full = new SqliteSnapshotStore({ path: join(dir, 'pragmas-snap.db'), synchronous: 'full' });
    expect(full.options.synchronous).toBe('full');
    void full.close();
  });

  it('opens a database from before writer claims existed, keeps every event, and fences from then on', async () => {
    const path = join(dir, 'before-claims.db');
    const event = (sequenceNr: number, writerUuid: string) => ({
      persistenceId: 'old',
      sequenceNr,
      payload: new Uint8Array([sequenceNr]),
      serializerId: 'json',
      manifest: '',
      eventManifest: '',
      tags: [],
      timestamp: 0,
      writerUuid,
    });
    const journal = new SqliteJournal({ path });
    expect(await journal.writeMessages([{ persistenceId: 'old', events: [event(1, 'w1'), event(2, 'w1')] }])).toEqual([undefined]);
    await journal.close();
    // What an older release left on disk: the same tables without the writer table.
    const { DatabaseSync } = await import('node:sqlite');
    const raw = new DatabaseSync(path);
    raw.exec('DROP TABLE writer');
    raw.close();

    const reopened = new SqliteJournal({ path });
    const replayed: number[] = [];
    for await (const page of reopened.replayMessages('old', { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) replayed.push(...page.map((e) => e.sequenceNr));
    expect(replayed).toEqual([1, 2]);
    expect(await reopened.readHighestSequenceNr('old', 1)).toBe(2);
    // Unclaimed: any writer; a taken number is a typed rejection, not SQLite's UNIQUE error.
    expect((await reopened.writeMessages([{ persistenceId: 'old', events: [event(2, 'w2')] }]))[0]).toMatchObject({ code: 'ERR_SEQUENCE_NUMBER_TAKEN' });
    expect(await reopened.writeMessages([{ persistenceId: 'old', events: [event(3, 'w2')] }])).toEqual([undefined]);
    await reopened.claimWriter('old', 'w3');
    expect((await reopened.writeMessages([{ persistenceId: 'old', events: [event(4, 'w2')] }]))[0]).toMatchObject({ code: 'ERR_WRITER_FENCED' });
    expect(await reopened.writeMessages([{ persistenceId: 'old', events: [event(4, 'w3')] }])).toEqual([undefined]);
    await reopened.close();
  });

  it('acknowledges each sequence number once when two processes write one id of one file at once', async () => {
    const racers = join(dir, 'racers');
    mkdirSync(racers, { recursive: true });
    const path = join(racers, 'journal.db');
    await new SqliteJournal({ path }).close(); // creates the schema before anyone races
    // The test's own connection: holding the write lock makes both racers wait at the same number.
    const lock = new DatabaseSync(path);
    lock.exec('PRAGMA busy_timeout = 60000');
    const script = fileURLToPath(new URL('./fixtures/sqlite-racer.mjs', import.meta.url));
    type RacerMessage = { type: 'started' | 'ready' | 'result'; label: string; round: number; next: number; outcome: string };
    const inbox: RacerMessage[] = [];
    let wake: (() => void) | undefined;
    const children = ['a', 'b'].map((label) => {
      const child = fork(script, [path, 'raced', label], { cwd: racers, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('message', (message) => {
        inbox.push(message as RacerMessage);
        wake?.();
      });
      child.on('exit', (code) => {
        if (code !== 0) inbox.push({ type: 'result', label, round: -1, next: -1, outcome: `exited ${code}: ${stderr}` });
        wake?.();
      });
      return child;
    });
    /** Waits (no polling) until both racers sent a message of `type` for `round`. */
    const both = async (type: RacerMessage['type'], round: number): Promise<RacerMessage[]> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const crashed = inbox.find((m) => m.round === -1);
        if (crashed !== undefined) throw new Error(`racer ${crashed.label} ${crashed.outcome}`);
        const found = inbox.filter((m) => m.type === type && (type === 'started' || m.round === round));
        if (found.length === 2) {
          for (const m of found) inbox.splice(inbox.indexOf(m), 1);
          return found;
        }
        if (Date.now() > deadline) throw new Error(`racers did not report ${type} of round ${round}`);
        // Woken by a racer's message or exit; the timer only ends the wait at the deadline.
        await new Promise<void>((resolve) => {
          const atDeadline = setTimeout(resolve, Math.max(0, deadline - Date.now()));
          wake = () => {
            clearTimeout(atDeadline);
            resolve();
          };
        });
      }
    };
    const rounds = 40;
    const owner = new Map<number, string>();
    try {
      await both('started', 0);
      for (let round = 1; round <= rounds; round++) {
        lock.exec('BEGIN IMMEDIATE');
        for (const child of children) child.send({ type: 'round', round });
        const ready = await both('ready', round);
        expect(
          ready.map((m) => m.next),
          `round ${round}: both read the same highest number`,
        ).toEqual([round, round]);
        lock.exec('COMMIT');
        const results = await both('result', round);
        const acknowledged = results.filter((m) => m.outcome === 'acknowledged');
        expect(acknowledged, `round ${round}: exactly one racer is acknowledged`).toHaveLength(1);
        expect(
          results.filter((m) => m.outcome !== 'acknowledged').map((m) => m.outcome),
          `round ${round}: the other is refused as a taken number`,
        ).toEqual(['ERR_SEQUENCE_NUMBER_TAKEN']);
        owner.set(round, (acknowledged[0] as RacerMessage).label);
      }
    } finally {
      if (lock.isTransaction) lock.exec('ROLLBACK');
      lock.close();
      for (const child of children) if (child.connected) child.send({ type: 'done' });
    }
    const journal = new SqliteJournal({ path });
    const stored: string[] = [];
    for await (const page of journal.replayMessages('raced', { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) stored.push(...page.map((e) => `${e.sequenceNr}:${e.writerUuid}`));
    await journal.close();
    expect(stored).toEqual(Array.from({ length: rounds }, (_, i) => `${i + 1}:${owner.get(i + 1)}`));
  }, 120_000);

  it('validates its options, naming the bad field', () => {
    expect(() => new SqliteJournal({ path: join(dir, 'x.db'), synchronous: 'off' as never })).toThrow(/synchronous/);
    expect(() => new SqliteJournal({ path: join(dir, 'y.db'), replayPageSize: 0 })).toThrow(/replayPageSize/);
  });

  it('treats a write after close as a failure of the call, not a rejection', async () => {
    const journal = new SqliteJournal({ path: join(dir, 'closed.db') });
    await journal.close();
    await expect(journal.writeMessages([{ persistenceId: 'x', events: [] }])).rejects.toThrow();
  });
});
