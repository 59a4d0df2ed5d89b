import { ActorSystem, SupervisorStrategy, silentLogger } from '@troupe/core';
import { TestProbe } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemorySnapshotStore, Persistence, PersistentActor, Recovery, SnapshotSelectionCriteria } from '../src/index.js';
import { ControllableJournal } from './fixtures/controllable-journal.js';
import { Counter, type CounterOptions, type Note, type Reply } from './fixtures/counter-actor.js';

let system: ActorSystem;
let journal: ControllableJournal;
let snapshots: InMemorySnapshotStore;

function setup(callTimeoutMs?: number): void {
  system = ActorSystem.create({ name: 'persistence-test', logger: silentLogger });
  journal = new ControllableJournal();
  snapshots = new InMemorySnapshotStore();
  Persistence.configure(system, {
    journals: { default: journal },
    snapshotStores: { default: snapshots },
    ...(callTimeoutMs === undefined ? {} : { batching: { callTimeoutMs } }),
  });
}

afterEach(async () => {
  await system?.terminate();
});

function spawnCounter(pid: string, options: CounterOptions = {}, name = pid) {
  return system.spawn(() => new Counter(pid, options), { name, supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 5, maxBackoffMs: 20, randomFactor: 0 }) });
}

describe('PersistentActor', () => {
  it('applies an event only after the journal stored it, then continues the handler', async () => {
    setup();
    const probe = TestProbe.create<Reply>(system);
    const counter = spawnCounter('c1');
    counter.tell({ type: 'add', n: 5, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 5, seq: 1 });
    const stored = await journal.stored('c1');
    expect(stored.map((e) => e.sequenceNr)).toEqual([1]);
    expect(JSON.parse(new TextDecoder().decode(stored[0]!.payload))).toEqual({ type: 'added', n: 5 });
    expect(stored[0]!.manifest).toBe('added');
  });

  it('numbers events from 1 without gaps and continues after recovery in a new incarnation', async () => {
    setup();
    const probe = TestProbe.create<Reply>(system);
    const first = spawnCounter('c2');
    for (const n of [1, 2, 3]) first.tell({ type: 'add', n, replyTo: probe.ref });
    await probe.receiveN(3);
    await probe.expectTerminated((system.stop(first), first));
    const second = spawnCounter('c2', {}, 'c2-again');
    second.tell({ type: 'add', n: 10, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 16, seq: 4 });
    expect((await journal.stored('c2')).map((e) => e.sequenceNr)).toEqual([1, 2, 3, 4]);
  });

  it('holds commands that arrive during recovery and handles them after onRecoveryCompleted', async () => {
    setup();
    await journal.inner.writeMessages([1, 2, 3].map((seq) => ({ persistenceId: 'c3', events: [repr('c3', seq, seq)] })));
    journal.hold();
    const notes = TestProbe.create<Note>(system);
    const probe = TestProbe.create<Reply>(system);
    const counter = spawnCounter('c3', { notes: notes.ref });
    counter.tell({ type: 'get', replyTo: probe.ref });
    counter.tell({ type: 'add', n: 100, replyTo: probe.ref });
    await journal.recoveryWaiting;
    await probe.expectNoMessage(30);
    journal.release();
    await notes.expectMessage({ note: 'recovered', total: 6, seq: 3, replayed: 3, snapshot: undefined });
    await probe.expectMessage({ ok: true, total: 6, seq: 3 });
    await probe.expectMessage({ ok: true, total: 106, seq: 4 });
  });

  it('keeps later commands waiting while a write it did not await is in flight', async () => {
    setup();
    const probe = TestProbe.create<Reply>(system);
    const counter = spawnCounter('c4');
    counter.tell({ type: 'fire', n: 7 });
    counter.tell({ type: 'get', replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 7, seq: 1 });
  });

  it('stores several writes started by one command in order, each its own atomic write, numbered without gaps', async () => {
    setup();
    const probe = TestProbe.create<Reply>(system);
    const counter = spawnCounter('c6');
    counter.tell({ type: 'fireMany', ns: [1, 2, 3] });
    counter.tell({ type: 'get', replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 6, seq: 3 });
    expect(
      journal.calls
        .flat()
        .filter((w) => w.persistenceId === 'c6')
        .map((w) => w.events.length),
    ).toEqual([1, 1, 1]);
    const stored = await journal.stored('c6');
    expect(stored.map((e) => [e.sequenceNr, JSON.parse(new TextDecoder().decode(e.payload)).n])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('stores persistAll as one atomic write and applies every event', async () => {
    setup();
    const probe = TestProbe.create<Reply>(system);
    const counter = spawnCounter('c5');
    counter.tell({ type: 'addMany', ns: [1, 2, 3, 4], replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 10, seq: 4 });
    const writes = journal.calls.flat().filter((w) => w.persistenceId === 'c5');
    expect(writes).toHaveLength(1);
    expect(writes[0]!.events.map((e) => e.sequenceNr)).toEqual([1, 2, 3, 4]);
  });

  it('sends the writes of many actors within one tick to the journal as one batch (group commit)', async () => {
    setup();
    const probe = TestProbe.create<Reply>(system);
    const counters = Array.from({ length: 50 }, (_, i) => spawnCounter(`g${i}`));
    // Let every actor finish recovery first, so their commands run in one dispatcher pass.
    for (const counter of counters) counter.tell({ type: 'get', replyTo: probe.ref });
    await probe.receiveN(50);
    const before = journal.calls.length;
    for (const counter of counters) counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
    await probe.receiveN(50);
    const batches = journal.calls.slice(before);
    expect(batches.length).toBeLessThanOrEqual(2);
    expect(batches.reduce((sum, batch) => sum + batch.length, 0)).toBe(50);
  });

  describe('rejected writes', () => {
    it('reports a serialization failure to the caller and keeps running without using a sequence number', async () => {
      setup();
      const probe = TestProbe.create<Reply>(system);
      const notes = TestProbe.create<Note>(system);
      const counter = spawnCounter('r1', { notes: notes.ref });
      counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
      await probe.expectMessage({ ok: true, total: 1, seq: 1 });
      await notes.expectMessage((m) => m.note === 'recovered');
      counter.tell({ type: 'bad', replyTo: probe.ref });
      await probe.expectMessage({ ok: false, code: 'ERR_JOURNAL_REJECTED', seq: 1 });
      await notes.expectMessage({ note: 'rejected', code: 'ERR_JOURNAL_REJECTED' });
      counter.tell({ type: 'add', n: 2, replyTo: probe.ref });
      await probe.expectMessage({ ok: true, total: 3, seq: 2 });
      expect((await journal.stored('r1')).map((e) => e.sequenceNr)).toEqual([1, 2]);
    });

    it('leaves no gap when a write queued between others of the same command is rejected', async () => {
      setup();
      const probe = TestProbe.create<Reply>(system);
      const notes = TestProbe.create<Note>(system);
      const counter = spawnCounter('r3', { notes: notes.ref });
      await notes.expectMessage((m) => m.note === 'recovered');
      counter.tell({ type: 'fireMany', ns: [1, -1, 2, -1, 4] });
      counter.tell({ type: 'get', replyTo: probe.ref });
      await probe.expectMessage({ ok: true, total: 7, seq: 3 });
      expect(await notes.receiveN(2)).toEqual([
        { note: 'rejected', code: 'ERR_JOURNAL_REJECTED' },
        { note: 'rejected', code: 'ERR_JOURNAL_REJECTED' },
      ]);
      expect((await journal.stored('r3')).map((e) => e.sequenceNr)).toEqual([1, 2, 3]);
    });

    it('reports a journal rejection to the caller and leaves no gap in the sequence numbers', async () => {
      setup();
      const probe = TestProbe.create<Reply>(system);
      const counter = spawnCounter('r2');
      counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
      counter.tell({ type: 'big', replyTo: probe.ref });
      counter.tell({ type: 'add', n: 2, replyTo: probe.ref });
      expect(await probe.receiveN(3)).toEqual([
        { ok: true, total: 1, seq: 1 },
        { ok: false, code: 'ERR_JOURNAL_REJECTED', seq: 1 },
        { ok: true, total: 3, seq: 2 },
      ]);
      expect((await journal.stored('r2')).map((e) => e.sequenceNr)).toEqual([1, 2]);
    });
  });

  describe('failed writes', () => {
    it('tells the caller, fails the actor, and after a backoff restart every acknowledged event is there', async () => {
      setup();
      const probe = TestProbe.create<Reply>(system);
      const notes = TestProbe.create<Note>(system);
      const counter = spawnCounter('f1', { notes: notes.ref });
      counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
      counter.tell({ type: 'add', n: 2, replyTo: probe.ref });
      await probe.receiveN(2);
      await notes.expectMessage((m) => m.note === 'recovered');
      journal.failWrites = true;
      counter.tell({ type: 'add', n: 4, replyTo: probe.ref });
      await probe.expectMessage({ ok: false, code: 'ERR_JOURNAL_WRITE', seq: 2 });
      await notes.expectMessage({ note: 'failed', code: 'ERR_JOURNAL_WRITE' });
      // The restarted actor recovers while the journal still refuses writes...
      await notes.expectMessage({ note: 'recovered', total: 3, seq: 2, replayed: 2, snapshot: undefined });
      journal.failWrites = false;
      // ...and, once it is back, persists again right after the acknowledged events.
      counter.tell({ type: 'add', n: 8, replyTo: probe.ref });
      await probe.expectMessage({ ok: true, total: 11, seq: 3 });
      expect((await journal.stored('f1')).map((e) => e.sequenceNr)).toEqual([1, 2, 3]);
    });

    it('fails a write the journal does not answer in time, and recovers after the late write has landed', async () => {
      setup(30);
      const probe = TestProbe.create<Reply>(system);
      const notes = TestProbe.create<Note>(system);
      const counter = spawnCounter('t1', { notes: notes.ref });
      counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
      await probe.expectMessage({ ok: true, total: 1, seq: 1 });
      await notes.expectMessage((m) => m.note === 'recovered');
      journal.hangNextWrites();
      counter.tell({ type: 'add', n: 2, replyTo: probe.ref });
      await journal.writeHanging;
      // The caller learns the write may not be stored, and the actor fails...
      await probe.expectMessage({ ok: false, code: 'ERR_JOURNAL_WRITE', seq: 1 });
      await notes.expectMessage({ note: 'failed', code: 'ERR_JOURNAL_WRITE' });
      // ...but its restart does not recover while the hung write could still land.
      await notes.expectNoMessage(50);
      journal.releaseHungWrites();
      await notes.expectMessage({ note: 'recovered', total: 3, seq: 2, replayed: 2, snapshot: undefined });
      counter.tell({ type: 'add', n: 4, replyTo: probe.ref });
      await probe.expectMessage({ ok: true, total: 7, seq: 3 });
      expect((await journal.stored('t1')).map((e) => e.sequenceNr)).toEqual([1, 2, 3]);
    });

    it('fails the writes queued behind a failed one and tells their callers', async () => {
      setup();
      const probe = TestProbe.create<Reply>(system);
      const notes = TestProbe.create<Note>(system);
      const counter = spawnCounter('f2', { notes: notes.ref });
      await notes.expectMessage((m) => m.note === 'recovered');
      journal.failWrites = true;
      counter.tell({ type: 'fire', n: 1 });
      counter.tell({ type: 'add', n: 2, replyTo: probe.ref });
      await notes.expectMessage({ note: 'failed', code: 'ERR_JOURNAL_WRITE' });
      journal.failWrites = false;
      await notes.expectMessage((m) => m.note === 'recovered');
      // The command behind the failed one stayed in the mailbox and runs after the restart.
      await probe.expectMessage({ ok: true, total: 2, seq: 1 });
    });
  });

  it('fails recovery when the journal breaks mid-replay, and recovers fully after a backoff restart', async () => {
    setup();
    await journal.inner.writeMessages([1, 2, 3].map((seq) => ({ persistenceId: 'rf', events: [repr('rf', seq, seq)] })));
    journal.failReplays = 2;
    const notes = TestProbe.create<Note>(system);
    spawnCounter('rf', { notes: notes.ref });
    await notes.expectMessage({ note: 'recovered', total: 6, seq: 3, replayed: 3, snapshot: undefined });
    expect(journal.failReplays).toBe(0);
  });

  describe('recovery options', () => {
    async function seed(pid: string, n: number): Promise<void> {
      await journal.inner.writeMessages(Array.from({ length: n }, (_, i) => ({ persistenceId: pid, events: [repr(pid, i + 1, i + 1)] })));
    }

    it('replays up to toSequenceNr but continues numbering after the highest stored event', async () => {
      setup();
      await seed('o1', 5);
      const notes = TestProbe.create<Note>(system);
      const probe = TestProbe.create<Reply>(system);
      const counter = spawnCounter('o1', { notes: notes.ref, recovery: { toSequenceNr: 3 } });
      await notes.expectMessage({ note: 'recovered', total: 6, seq: 5, replayed: 3, snapshot: undefined });
      counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
      await probe.expectMessage({ ok: true, total: 7, seq: 6 });
    });

    it('replays at most replayMax events', async () => {
      setup();
      await seed('o2', 5);
      const notes = TestProbe.create<Note>(system);
      spawnCounter('o2', { notes: notes.ref, recovery: { replayMax: 2 } });
      await notes.expectMessage({ note: 'recovered', total: 3, seq: 5, replayed: 2, snapshot: undefined });
    });

    it('starts empty with Recovery.none but never reuses a sequence number', async () => {
      setup();
      await seed('o3', 4);
      const notes = TestProbe.create<Note>(system);
      const probe = TestProbe.create<Reply>(system);
      const counter = spawnCounter('o3', { notes: notes.ref, recovery: Recovery.none });
      await notes.expectMessage({ note: 'recovered', total: 0, seq: 4, replayed: 0, snapshot: undefined });
      counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
      await probe.expectMessage({ ok: true, total: 1, seq: 5 });
    });
  });

  describe('snapshots and deletion', () => {
    it('recovers from the newest snapshot plus the events after it', async () => {
      setup();
      const probe = TestProbe.create<Reply>(system);
      const counter = spawnCounter('s1');
      counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
      counter.tell({ type: 'add', n: 2, replyTo: probe.ref });
      counter.tell({ type: 'snapshot', replyTo: probe.ref });
      counter.tell({ type: 'add', n: 4, replyTo: probe.ref });
      await probe.receiveN(4);
      const notes = TestProbe.create<Note>(system);
      spawnCounter('s1', { notes: notes.ref }, 's1-again');
      await notes.expectMessage({ note: 'recovered', total: 7, seq: 3, replayed: 1, snapshot: 2 });
    });

    it('ignores snapshots when recovery says fromSnapshot: none, or when the actor does not take snapshots', async () => {
      setup();
      const probe = TestProbe.create<Reply>(system);
      const counter = spawnCounter('s2');
      counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
      counter.tell({ type: 'snapshot', replyTo: probe.ref });
      counter.tell({ type: 'add', n: 2, replyTo: probe.ref });
      await probe.receiveN(3);
      const notes = TestProbe.create<Note>(system);
      spawnCounter('s2', { notes: notes.ref, recovery: { fromSnapshot: SnapshotSelectionCriteria.none } }, 's2-b');
      await notes.expectMessage({ note: 'recovered', total: 3, seq: 2, replayed: 2, snapshot: undefined });
      spawnCounter('s2', { notes: notes.ref, snapshots: false }, 's2-c');
      await notes.expectMessage({ note: 'recovered', total: 3, seq: 2, replayed: 2, snapshot: undefined });
    });

    it('saves a snapshot every N events by itself', async () => {
      setup();
      const probe = TestProbe.create<Reply>(system);
      const counter = spawnCounter('s3', { snapshotEvery: 3 });
      for (let i = 1; i <= 7; i++) counter.tell({ type: 'add', n: i, replyTo: probe.ref });
      await probe.receiveN(7);
      const snapshot = await snapshots.loadSnapshot('s3', SnapshotSelectionCriteria.latest);
      expect(snapshot?.sequenceNr).toBe(6);
      expect(JSON.parse(new TextDecoder().decode(snapshot!.payload))).toBe(21);
    });

    it('deletes events up to a sequence number and keeps numbering after them', async () => {
      setup();
      const probe = TestProbe.create<Reply>(system);
      const counter = spawnCounter('s4');
      for (const n of [1, 2, 3]) counter.tell({ type: 'add', n, replyTo: probe.ref });
      counter.tell({ type: 'snapshot', replyTo: probe.ref });
      counter.tell({ type: 'deleteEvents', to: 2, replyTo: probe.ref });
      await probe.receiveN(5);
      expect((await journal.stored('s4')).map((e) => e.sequenceNr)).toEqual([3]);
      const notes = TestProbe.create<Note>(system);
      const again = spawnCounter('s4', { notes: notes.ref }, 's4-again');
      await notes.expectMessage({ note: 'recovered', total: 6, seq: 3, replayed: 0, snapshot: 3 });
      again.tell({ type: 'add', n: 1, replyTo: probe.ref });
      await probe.expectMessage({ ok: true, total: 7, seq: 4 });
    });

    it('falls back to an older snapshot when the newest cannot be deserialised', async () => {
      setup();
      const probe = TestProbe.create<Reply>(system);
      const counter = spawnCounter('s6');
      counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
      counter.tell({ type: 'snapshot', replyTo: probe.ref });
      counter.tell({ type: 'add', n: 2, replyTo: probe.ref });
      await probe.receiveN(3);
      await snapshots.saveSnapshot({ persistenceId: 's6', sequenceNr: 2, timestamp: Date.now(), payload: new TextEncoder().encode('{not json'), serializerId: 'json', manifest: '' });
      const notes = TestProbe.create<Note>(system);
      spawnCounter('s6', { notes: notes.ref }, 's6-again');
      await notes.expectMessage({ note: 'recovered', total: 3, seq: 2, replayed: 1, snapshot: 1 });
    });

    it('deletes snapshots by criteria', async () => {
      setup();
      const probe = TestProbe.create<Reply>(system);
      const counter = spawnCounter('s5');
      counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
      counter.tell({ type: 'snapshot', replyTo: probe.ref });
      counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
      counter.tell({ type: 'snapshot', replyTo: probe.ref });
      counter.tell({ type: 'deleteSnapshots', criteria: SnapshotSelectionCriteria.of({ maxSequenceNr: 1 }), replyTo: probe.ref });
      await probe.receiveN(5);
      expect(await snapshots.loadSnapshot('s5', SnapshotSelectionCriteria.of({ maxSequenceNr: 1 }))).toBeUndefined();
      expect((await snapshots.loadSnapshot('s5', SnapshotSelectionCriteria.latest))?.sequenceNr).toBe(2);
    });
  });

  it('throws a TypeError when persist is called outside a command handler', async () => {
    setup();
    const probe = TestProbe.create<unknown>(system);
    class Leaky extends PersistentActor<'go', number> {
      readonly persistenceId = 'leaky';
      applyEvent(): void {}
      receiveCommand(): void {
        setImmediate(() => {
          try {
            void this.persist(1);
            probe.ref.tell('no error');
          } catch (error) {
            probe.ref.tell(error instanceof TypeError ? 'TypeError' : 'other');
          }
        });
      }
    }
    system.spawn(() => new Leaky(), { name: 'leaky' }).tell('go');
    await probe.expectMessage('TypeError');
  });
});

function repr(persistenceId: string, sequenceNr: number, n: number) {
  return {
    persistenceId,
    sequenceNr,
    payload: new TextEncoder().encode(JSON.stringify({ type: 'added', n })),
    serializerId: 'json',
    manifest: 'added',
    eventManifest: '',
    tags: [],
    timestamp: Date.now(),
    writerUuid: 'seed',
  };
}

describe('InMemoryJournal', () => {
  it('rejects a write that reuses a stored sequence number (two writers of one id)', async () => {
    const journal = new ControllableJournal().inner;
    const write = { persistenceId: 'dup', events: [repr('dup', 1, 1)] };
    expect(await journal.writeMessages([write])).toEqual([undefined]);
    const [rejection] = await journal.writeMessages([write]);
    expect(rejection).toMatchObject({ code: 'ERR_SEQUENCE_NUMBER_TAKEN' });
    expect(await journal.readHighestSequenceNr('dup')).toBe(1);
  });
});
