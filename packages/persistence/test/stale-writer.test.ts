import { type ActorRef, ActorSystem, type DeadLetter, type LogFields, type Logger, SupervisorStrategy } from '@troupe/core';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryJournal, InMemorySnapshotStore, type Journal, Persistence, PersistentActor, type PersistentRepr, SnapshotSelectionCriteria } from '../src/index.js';
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

function start(journal: Journal, callTimeoutMs?: number): ActorSystem {
  logger = new RecordingLogger();
  system = ActorSystem.create({ name: 'stale-writer', logger });
  Persistence.configure(system, { journals: { default: journal }, snapshotStores: { default: new InMemorySnapshotStore() }, ...(callTimeoutMs === undefined ? {} : { batching: { callTimeoutMs } }) });
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
  it('claims the id once per spawned actor, before reading the highest sequence number; a restart recovers under the same writer uuid without claiming', async () => {
    const journal = new ControllableJournal();
    const on = start(journal);
    const probe = TestProbe.create<Reply>(on);
    const notes = TestProbe.create<Note>(on);
    const counter = spawnCounter(on, 'claim-1', { notes: notes.ref });
    counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 1, seq: 1 });
    expect(journal.recoveryCalls).toEqual(['claim:claim-1', 'highest:claim-1']);
    expect((await journal.stored('claim-1')).map((e) => e.writerUuid)).toEqual([journal.claims[0]!.writerUuid]);

    // A failed write restarts the actor: the new instance recovers without claiming, as the same writer.
    journal.failWrites = true;
    counter.tell({ type: 'add', n: 2, replyTo: probe.ref });
    await probe.expectMessage({ ok: false, code: 'ERR_JOURNAL_WRITE', seq: 1 });
    await notes.expectMessage((m) => m.note === 'recovered');
    await notes.expectMessage({ note: 'failed', code: 'ERR_JOURNAL_WRITE' });
    await notes.expectMessage((m) => m.note === 'recovered');
    journal.failWrites = false;
    counter.tell({ type: 'add', n: 4, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 5, seq: 2 });
    expect(journal.recoveryCalls).toEqual(['claim:claim-1', 'highest:claim-1', 'highest:claim-1']);
    expect(journal.claims).toHaveLength(1);
    const uuid = journal.claims[0]!.writerUuid;
    expect((await journal.stored('claim-1')).map((e) => e.writerUuid)).toEqual([uuid, uuid]);

    // Spawned again (a new actor, not a restart): a new writer uuid, claimed.
    probe.watch(counter);
    on.stop(counter);
    await probe.expectTerminated(counter);
    const again = spawnCounter(on, 'claim-1', { notes: notes.ref });
    again.tell({ type: 'add', n: 8, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 13, seq: 3 });
    expect(journal.claims).toHaveLength(2);
    expect(journal.claims[1]!.writerUuid).not.toBe(uuid);
  });

  it('does not let a stale incarnation that restarts (its fenced write timed out) claim the id back from the newer one', async () => {
    const journal = new ControllableJournal();
    const on = start(journal, 100);
    const probe = TestProbe.create<Reply>(on);
    const notes = TestProbe.create<Note>(on);
    const older = spawnCounter(on, 'steal', { notes: notes.ref });
    older.tell({ type: 'add', n: 1, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 1, seq: 1 });
    await notes.expectMessage((m) => m.note === 'recovered');
    const newer = on.spawn(() => new Counter('steal'), { name: 'steal-newer', supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 5, maxBackoffMs: 20, randomFactor: 0 }) });
    newer.tell({ type: 'add', n: 10, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 11, seq: 2 });

    // The older one's next write is fenced, but the answer comes after callTimeoutMs: a
    // failure, so the older actor restarts (after the late answer has settled).
    journal.hangNextWrites();
    older.tell({ type: 'add', n: 100, replyTo: probe.ref });
    await journal.writeHanging;
    await probe.expectMessage({ ok: false, code: 'ERR_JOURNAL_WRITE', seq: 1 });
    await notes.expectMessage({ note: 'failed', code: 'ERR_JOURNAL_WRITE' });
    journal.releaseHungWrites();
    await notes.expectMessage((m) => m.note === 'recovered');

    // The newer incarnation still owns the id ...
    probe.watch(newer);
    newer.tell({ type: 'add', n: 1000, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 1011, seq: 3 });
    // ... and the restarted older one is refused and stops at its next write.
    probe.watch(older);
    older.tell({ type: 'add', n: 5, replyTo: probe.ref });
    await probe.expectMessage({ ok: false, code: 'ERR_JOURNAL_REJECTED', seq: 2 });
    await probe.expectTerminated(older);
    newer.tell({ type: 'get', replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 1011, seq: 3 });
    expect(journal.claims).toHaveLength(2);
    const newerUuid = journal.claims[1]!.writerUuid;
    expect((await journal.stored('steal')).map((e) => `${e.sequenceNr}:${e.writerUuid === newerUuid ? 'newer' : 'older'}`)).toEqual(['1:older', '2:newer', '3:newer']);
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

    probe.watch(counter);
    counter.tell({ type: 'add', n: 5, replyTo: probe.ref });
    await probe.expectMessage({ ok: false, code: 'ERR_JOURNAL_REJECTED', seq: 1 });
    await notes.expectMessage({ note: 'rejected', code: 'ERR_JOURNAL_REJECTED' });
    await probe.expectTerminated(counter);
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
    // A plugin written in JavaScript against the SPI before claimWriter existed.
    const withoutClaims = {
      capabilities: inner.capabilities,
      writeMessages: (writes) => inner.writeMessages(writes),
      replayMessages: (id, range) => inner.replayMessages(id, range),
      readHighestSequenceNr: (id, from) => inner.readHighestSequenceNr(id, from),
      deleteMessagesTo: (id, to) => inner.deleteMessagesTo(id, to),
    } satisfies Omit<Journal, 'claimWriter'> as unknown as Journal;
    const on = start(withoutClaims);
    const probe = TestProbe.create<Reply>(on);
    const counter = spawnCounter(on, 'stale-2');
    counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 1, seq: 1 });
    expect(await inner.writeMessages([{ persistenceId: 'stale-2', events: [event('stale-2', 2, 'other')] }])).toEqual([undefined]);

    probe.watch(counter);
    counter.tell({ type: 'add', n: 5, replyTo: probe.ref });
    await probe.expectMessage({ ok: false, code: 'ERR_JOURNAL_REJECTED', seq: 1 });
    await probe.expectTerminated(counter);
    const stored: string[] = [];
    for await (const page of inner.replayMessages('stale-2', { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity }))
      stored.push(...page.map((e) => `${e.sequenceNr}:${e.writerUuid === 'other' ? 'other' : 'stale'}`));
    expect(stored).toEqual(['1:stale', '2:other']);
    expect(logger.lines.filter((l) => l.message.includes('stale-2')).map((l) => l.level)).toEqual(['error']);
    // The journal could not fence: said once, not silently skipped.
    expect(logger.lines.filter((l) => l.message.includes('has no claimWriter')).map((l) => l.level)).toEqual(['warn']);
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

    probe.watch(older);
    older.tell({ type: 'add', n: 100, replyTo: probe.ref });
    await probe.expectMessage({ ok: false, code: 'ERR_JOURNAL_REJECTED', seq: 1 });
    await probe.expectTerminated(older);
    newer.tell({ type: 'add', n: 1000, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 1011, seq: 3 });
    const [olderUuid, newerUuid] = journal.claims.map((c) => c.writerUuid);
    expect((await journal.stored('twice')).map((e) => `${e.sequenceNr}:${e.writerUuid === olderUuid ? 'older' : e.writerUuid === newerUuid ? 'newer' : '?'}`)).toEqual([
      '1:older',
      '2:newer',
      '3:newer',
    ]);
  });

  it('refuses the writes queued behind a stale one without sending them, and tells each caller', async () => {
    const journal = new ControllableJournal();
    const on = start(journal);
    const notes = TestProbe.create<Note>(on);
    const counter = spawnCounter(on, 'stale-3', { notes: notes.ref });
    await notes.expectMessage((m) => m.note === 'recovered');
    await journal.inner.claimWriter('stale-3', 'newer');
    const callsBefore = journal.calls.length;

    notes.watch(counter);
    counter.tell({ type: 'fireMany', ns: [1, 2, 3] });
    for (let i = 0; i < 3; i++) await notes.expectMessage({ note: 'rejected', code: 'ERR_JOURNAL_REJECTED' });
    await notes.expectTerminated(counter);
    expect(journal.calls.length - callsBefore).toBe(1);
    expect(await journal.stored('stale-3')).toEqual([]);
  });
});

type CleanupReply = { step: string; code: string };
type CleanupCommand = { type: 'write-then-clean'; replyTo: ActorRef<CleanupReply> } | { type: 'ping'; replyTo: ActorRef<CleanupReply> };

/** Persists, and once refused as stale tries every operation that changes stored state. */
class Cleaner extends PersistentActor<CleanupCommand, number, number> {
  constructor(readonly persistenceId: string) {
    super();
  }
  applyEvent(): void {}
  override applySnapshot(): void {}
  async receiveCommand(command: CleanupCommand): Promise<void> {
    if (command.type === 'ping') {
      command.replyTo.tell({ step: 'ping', code: 'ok' });
      return;
    }
    const outcome = async (step: string, run: () => Promise<unknown>): Promise<void> => {
      try {
        await run();
        command.replyTo.tell({ step, code: 'ok' });
      } catch (error) {
        command.replyTo.tell({ step, code: (error as { code?: string }).code ?? String(error) });
      }
    };
    await outcome('persist', () => this.persist(1));
    await outcome('deleteEventsTo', () => this.deleteEventsTo(Infinity));
    await outcome('saveSnapshot', () => this.saveSnapshot(0));
    await outcome('deleteSnapshots', () => this.deleteSnapshots(SnapshotSelectionCriteria.latest));
    await outcome('deleteSnapshot', () => this.deleteSnapshot(1));
  }
}

describe('a stale incarnation', () => {
  it('refuses to delete events or snapshots and to save a snapshot once the journal fenced it (ERR_STALE_INCARNATION), and later commands reach dead letters', async () => {
    const journal = new ControllableJournal();
    const on = start(journal);
    const probe = TestProbe.create<CleanupReply>(on);
    const stale = on.spawn(() => new Cleaner('cleaner'), { name: 'cleaner' });
    stale.tell({ type: 'ping', replyTo: probe.ref });
    await probe.expectMessage({ step: 'ping', code: 'ok' });
    await journal.inner.claimWriter('cleaner', 'newer');
    expect(await journal.inner.writeMessages([{ persistenceId: 'cleaner', events: [event('cleaner', 1, 'newer'), event('cleaner', 2, 'newer')] }])).toEqual([undefined]);

    const deadLetters: DeadLetter[] = [];
    on.eventStream.subscribe('dead-letter', (letter) => deadLetters.push(letter));
    probe.watch(stale);
    stale.tell({ type: 'write-then-clean', replyTo: probe.ref });
    const later = { type: 'ping' as const, replyTo: probe.ref };
    stale.tell(later);
    await probe.expectMessage({ step: 'persist', code: 'ERR_JOURNAL_REJECTED' });
    for (const step of ['deleteEventsTo', 'saveSnapshot', 'deleteSnapshots', 'deleteSnapshot']) await probe.expectMessage({ step, code: 'ERR_STALE_INCARNATION' });
    await probe.expectTerminated(stale);
    // The newer incarnation's events are untouched.
    expect((await journal.stored('cleaner')).map((e) => e.sequenceNr)).toEqual([1, 2]);
    await awaitCondition(() => deadLetters.some((l) => l.message === later), { timeoutMs: 5000 });
    const letter = deadLetters.find((l) => l.message === later) as DeadLetter;
    // Dead-lettered, not dropped: by the stopping cell, or by the engine if it was still handling messages.
    expect(letter.reason).toMatch(/^(recipient-stopped|stale-incarnation)/);
  });
});
