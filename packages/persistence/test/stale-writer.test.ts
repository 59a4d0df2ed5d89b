import { ActorSystem, type LogFields, type Logger, SupervisorStrategy } from '@troupe/core';
import { TestProbe } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryJournal, InMemorySnapshotStore, type Journal, Persistence, type PersistentRepr } from '../src/index.js';
import { ControllableJournal } from './fixtures/controllable-journal.js';
import { Counter, type CounterOptions, type Note, type Reply } from './fixtures/counter-actor.js';

/** Keeps the warn and error lines, so a test can count what the runtime logged. */
class RecordingLogger implements Logger {
  readonly lines: { level: 'warn' | 'error'; message: string; fields: LogFields | undefined }[] = [];
  debug(): void {}
  info(): void {}
  warn(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'error', message, fields });
  }
}

let system: ActorSystem | undefined;
let logger: RecordingLogger;

function start(journal: Journal): ActorSystem {
  logger = new RecordingLogger();
  system = ActorSystem.create({ name: 'stale-writer', logger });
  Persistence.configure(system, { journals: { default: journal }, snapshotStores: { default: new InMemorySnapshotStore() } });
  return system;
}

afterEach(async () => {
  await system?.terminate();
  system = undefined;
});

function spawnCounter(on: ActorSystem, pid: string, options: CounterOptions = {}) {
  // Restart with backoff, as recommended: a stale actor must stop even so, not restart.
  return on.spawn(() => new Counter(pid, options), { name: pid, supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 5, maxBackoffMs: 20, randomFactor: 0 }) });
}

function event(persistenceId: string, sequenceNr: number, writerUuid: string): PersistentRepr {
  return {
    persistenceId,
    sequenceNr,
    payload: new TextEncoder().encode(JSON.stringify({ type: 'added', n: 100 })),
    serializerId: 'json',
    manifest: 'added',
    eventManifest: '',
    tags: [],
    timestamp: Date.now(),
    writerUuid,
  };
}

describe('PersistentActor with two writers of one persistence id', () => {
  it('claims the id with a fresh writer uuid before reading the highest sequence number, at every recovery including a restart', async () => {
    const journal = new ControllableJournal();
    const on = start(journal);
    const probe = TestProbe.create<Reply>(on);
    const notes = TestProbe.create<Note>(on);
    const counter = spawnCounter(on, 'claim-1', { notes: notes.ref });
    counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 1, seq: 1 });
    expect(journal.recoveryCalls).toEqual(['claim:claim-1', 'highest:claim-1']);
    expect((await journal.stored('claim-1')).map((e) => e.writerUuid)).toEqual([journal.claims[0]!.writerUuid]);

    // A failed write restarts the actor: the new instance claims again, with a new uuid.
    journal.failWrites = true;
    counter.tell({ type: 'add', n: 2, replyTo: probe.ref });
    await probe.expectMessage({ ok: false, code: 'ERR_JOURNAL_WRITE', seq: 1 });
    await notes.expectMessage((m) => m.note === 'recovered');
    await notes.expectMessage({ note: 'failed', code: 'ERR_JOURNAL_WRITE' });
    await notes.expectMessage((m) => m.note === 'recovered');
    journal.failWrites = false;
    counter.tell({ type: 'add', n: 4, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 5, seq: 2 });
    expect(journal.recoveryCalls).toEqual(['claim:claim-1', 'highest:claim-1', 'claim:claim-1', 'highest:claim-1']);
    const [first, second] = journal.claims;
    expect(second!.writerUuid).not.toBe(first!.writerUuid);
    expect((await journal.stored('claim-1')).map((e) => e.writerUuid)).toEqual([first!.writerUuid, second!.writerUuid]);
  });

  it('treats a failed claim as a recovery failure and recovers after a backoff restart', async () => {
    const journal = new ControllableJournal();
    journal.failClaims = 1;
    const on = start(journal);
    const probe = TestProbe.create<Reply>(on);
    const notes = TestProbe.create<Note>(on);
    const counter = spawnCounter(on, 'claim-2', { notes: notes.ref });
    counter.tell({ type: 'add', n: 3, replyTo: probe.ref });
    await notes.expectMessage((m) => m.note === 'recovered');
    await probe.expectMessage({ ok: true, total: 3, seq: 1 });
    // The failed claim stopped that recovery before it read anything.
    expect(journal.recoveryCalls).toEqual(['claim:claim-2', 'claim:claim-2', 'highest:claim-2']);
    expect(logger.lines.some((l) => l.level === 'error' && l.message.includes('recovery of "claim-2" failed'))).toBe(true);
  });

  it('stops, instead of restarting, once a newer incarnation has claimed the id; the caller gets the rejection and one log line says why', async () => {
    const journal = new ControllableJournal();
    const on = start(journal);
    const probe = TestProbe.create<Reply>(on);
    const notes = TestProbe.create<Note>(on);
    const counter = spawnCounter(on, 'stale-1', { notes: notes.ref });
    counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 1, seq: 1 });
    await notes.expectMessage((m) => m.note === 'recovered');

    // A newer incarnation elsewhere (another node, a double spawn) claims the id and writes.
    await journal.inner.claimWriter('stale-1', 'newer');
    expect(await journal.inner.writeMessages([{ persistenceId: 'stale-1', events: [event('stale-1', 2, 'newer')] }])).toEqual([undefined]);

    probe.watch(counter as never);
    counter.tell({ type: 'add', n: 5, replyTo: probe.ref });
    await probe.expectMessage({ ok: false, code: 'ERR_JOURNAL_REJECTED', seq: 1 });
    await notes.expectMessage({ note: 'rejected', code: 'ERR_JOURNAL_REJECTED' });
    await probe.expectTerminated(counter as never);
    // Stopped, not restarted: one recovery, one claim; the newer incarnation's history is intact.
    expect(journal.claims).toHaveLength(1);
    expect((await journal.stored('stale-1')).map((e) => `${e.sequenceNr}:${e.writerUuid === 'newer' ? 'newer' : 'stale'}`)).toEqual(['1:stale', '2:newer']);
    const lines = logger.lines.filter((l) => l.message.includes('stale-1'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('error');
    expect(lines[0]!.message).toContain('another incarnation of this persistence id');
    expect(lines[0]!.message).toContain('WriterFencedError');
  });

  it('stops when another writer stored the sequence number first, also on a journal without claimWriter', async () => {
    const inner = new InMemoryJournal();
    const withoutClaims: Journal = {
      capabilities: inner.capabilities,
      writeMessages: (writes) => inner.writeMessages(writes),
      replayMessages: (id, range) => inner.replayMessages(id, range),
      readHighestSequenceNr: (id, from) => inner.readHighestSequenceNr(id, from),
      deleteMessagesTo: (id, to) => inner.deleteMessagesTo(id, to),
    };
    const on = start(withoutClaims);
    const probe = TestProbe.create<Reply>(on);
    const counter = spawnCounter(on, 'stale-2');
    counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 1, seq: 1 });
    expect(await inner.writeMessages([{ persistenceId: 'stale-2', events: [event('stale-2', 2, 'other')] }])).toEqual([undefined]);

    probe.watch(counter as never);
    counter.tell({ type: 'add', n: 5, replyTo: probe.ref });
    await probe.expectMessage({ ok: false, code: 'ERR_JOURNAL_REJECTED', seq: 1 });
    await probe.expectTerminated(counter as never);
    const stored: string[] = [];
    for await (const page of inner.replayMessages('stale-2', { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) stored.push(...page.map((e) => `${e.sequenceNr}:${e.writerUuid === 'other' ? 'other' : 'stale'}`));
    expect(stored).toEqual(['1:stale', '2:other']);
    expect(logger.lines.filter((l) => l.message.includes('stale-2')).map((l) => l.level)).toEqual(['error']);
  });

  it('keeps the newer of two actors spawned with one persistence id in one system, and stops the older', async () => {
    const journal = new ControllableJournal();
    const on = start(journal);
    const probe = TestProbe.create<Reply>(on);
    const older = on.spawn(() => new Counter('twice'), { name: 'twice-1' });
    older.tell({ type: 'add', n: 1, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 1, seq: 1 });
    const newer = on.spawn(() => new Counter('twice'), { name: 'twice-2' });
    newer.tell({ type: 'add', n: 10, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 11, seq: 2 });

    probe.watch(older as never);
    older.tell({ type: 'add', n: 100, replyTo: probe.ref });
    await probe.expectMessage({ ok: false, code: 'ERR_JOURNAL_REJECTED', seq: 1 });
    await probe.expectTerminated(older as never);
    newer.tell({ type: 'add', n: 1000, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 1011, seq: 3 });
    const [olderUuid, newerUuid] = journal.claims.map((c) => c.writerUuid);
    expect((await journal.stored('twice')).map((e) => `${e.sequenceNr}:${e.writerUuid === olderUuid ? 'older' : e.writerUuid === newerUuid ? 'newer' : '?'}`)).toEqual(['1:older', '2:newer', '3:newer']);
  });

  it('refuses the writes queued behind a stale one without sending them, and tells each caller', async () => {
    const journal = new ControllableJournal();
    const on = start(journal);
    const notes = TestProbe.create<Note>(on);
    const counter = spawnCounter(on, 'stale-3', { notes: notes.ref });
    await notes.expectMessage((m) => m.note === 'recovered');
    await journal.inner.claimWriter('stale-3', 'newer');
    const callsBefore = journal.calls.length;

    notes.watch(counter as never);
    counter.tell({ type: 'fireMany', ns: [1, 2, 3] });
    for (let i = 0; i < 3; i++) await notes.expectMessage({ note: 'rejected', code: 'ERR_JOURNAL_REJECTED' });
    await notes.expectTerminated(counter as never);
    expect(journal.calls.length - callsBefore).toBe(1);
    expect(await journal.stored('stale-3')).toEqual([]);
  });
});
