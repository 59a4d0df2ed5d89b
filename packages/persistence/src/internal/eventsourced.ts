import { randomUUID } from 'node:crypto';
import type { ActorRef, ActorSystem, Logger, SerializationRegistry } from '@troupe/core';
import { publishDeadLetter } from '@troupe/core/spi';
import { JournalDeleteError, JournalRejectedError, JournalWriteError, RecoveryError, StaleIncarnationError, describeCause, isStaleWriterRejection } from '../errors.js';
import type { EventAdapter } from '../event-adapter.js';
import type { JournalBatcher } from '../journal-batcher.js';
import { type JournalHandle, Persistence, batcherOf } from '../persistence.js';
import type { PersistentRepr } from '../persistent-repr.js';
import { type Recovery, resolveRecovery } from '../recovery.js';
import type { SnapshotMetadata, SnapshotSelectionCriteria } from '../snapshot-store.js';
import { loadNewestSnapshot } from './load-snapshot.js';
import { type MutableRepr, PendingWrite, type WriteOwner } from './pending-write.js';
import { Snapshotter } from './snapshotter.js';

/** What the engine needs from the actor; closures over the actor's (protected) hooks. */
export interface EventsourcedHooks<E, S> {
  readonly persistenceId: () => string;
  readonly journalId: () => string | undefined;
  readonly snapshotStoreId: () => string | undefined;
  readonly snapshotEvery: () => number | undefined;
  readonly recovery: () => Recovery;
  readonly applyEvent: (event: E) => void;
  /** Undefined when the actor does not take snapshots: recovery then replays everything. */
  readonly applySnapshot: ((snapshot: S, metadata: SnapshotMetadata) => void) | undefined;
  readonly snapshotState: () => S;
  readonly tagsFor: (event: E) => readonly string[];
  readonly eventAdapter: () => EventAdapter<E> | undefined;
  readonly onRecoveryCompleted: () => void | Promise<void>;
  readonly onRecoveryFailure: (error: RecoveryError) => void;
  readonly onPersistRejected: (error: JournalRejectedError, events: readonly E[]) => void;
  readonly onPersistFailure: (error: JournalWriteError, events: readonly E[]) => void;
  /** Stops the actor (not a failure: no supervision, no restart). */
  readonly stopSelf: () => void;
  /**
   * The actor's own ref: the same object for every instance a supervisor restart builds in
   * one spawned actor, a new one for each spawn. Keys the writer identity (see `writerOf`).
   */
  readonly self: () => ActorRef<never>;
}

/** The writer identity of one spawned actor: its uuid, and whether it has claimed the id yet. */
interface Writer {
  readonly uuid: string;
  claimed: boolean;
}

/**
 * One writer per spawned actor (per cell), not per instance: a supervisor restart must not
 * claim the id again, or a stale incarnation whose fenced write failed (timed out) would
 * restart, claim the id back and fence the newer incarnation. Weak, so a stopped actor's
 * entry goes with its ref.
 */
const writers = new WeakMap<object, Writer>();

function writerOf(self: object): Writer {
  let writer = writers.get(self);
  if (writer === undefined) {
    writer = { uuid: randomUUID(), claimed: false };
    writers.set(self, writer);
  }
  return writer;
}

const IDLE = 0;
const RECOVERING = 1;
const RUNNING = 2;
const FAILED = 3;
/** A newer incarnation owns the persistence id: the journal refused a write as stale. */
const STALE = 4;

/**
 * The event-sourcing engine behind `PersistentActor`: recovery, sequence numbers, the
 * per-actor write queue (one write in flight, so a rejection never leaves a gap), and
 * the barrier that holds the mailbox until every write of the current command settled.
 */
export class Eventsourced<E, S> implements WriteOwner<E> {
  private phase = IDLE;
  private pid = '';
  private lastSeq = 0;
  private writerUuid = '';
  private journalHandle: JournalHandle | undefined;
  private batcher: JournalBatcher | undefined;
  private snapshotter: Snapshotter | undefined;
  private serialization!: SerializationRegistry;
  private adapter: EventAdapter<E> | undefined;
  private snapshotEvery = 0;
  private inFlight: PendingWrite<E> | undefined;
  private readonly queue: PendingWrite<E>[] = [];
  private pending = 0;
  private drained: { promise: Promise<void>; resolve: () => void } | undefined;
  private failure: JournalWriteError | Error | undefined;
  /** The journal's stale-writer rejection that made this incarnation stop. */
  private staleBy: Error | undefined;
  /** True while a command handler (or `onRecoveryCompleted`) may persist. */
  private handling = false;

  constructor(
    private readonly system: ActorSystem,
    private readonly log: Logger,
    private readonly hooks: EventsourcedHooks<E, S>,
  ) {}

  get lastSequenceNr(): number {
    return this.lastSeq;
  }

  get isRecovering(): boolean {
    return this.phase === RECOVERING || this.phase === IDLE;
  }

  get persistenceId(): string {
    return this.pid;
  }

  // ---- Recovery -----------------------------------------------------------------

  async recover(): Promise<void> {
    const pid = this.hooks.persistenceId();
    if (typeof pid !== 'string' || pid === '') throw new TypeError(`PersistentActor: persistenceId must be a non-empty string, got ${JSON.stringify(pid)}`);
    this.pid = pid;
    this.phase = RECOVERING;
    const recovery = resolveRecovery(this.hooks.recovery());
    const every = this.hooks.snapshotEvery();
    if (every !== undefined && !(Number.isInteger(every) && every > 0)) throw new RangeError(`PersistentActor: snapshotEvery must be a positive integer, got ${every}`);
    this.snapshotEvery = every ?? 0;
    const persistence = Persistence.get(this.system);
    this.serialization = persistence.serialization;
    this.adapter = this.hooks.eventAdapter();
    const writer = writerOf(this.hooks.self());
    this.writerUuid = writer.uuid;
    try {
      this.journalHandle = await persistence.journalFor(this.hooks.journalId());
      this.batcher = batcherOf(this.journalHandle);
      const journal = this.journalHandle.journal;
      // A write of this id that timed out (the instance before a restart) may still land:
      // let it settle before reading the highest number, so that number includes it.
      const hung = this.batcher.settledFor(pid);
      if (hung !== undefined) await hung;
      // The first recovery of a spawned actor fences every older incarnation (another node,
      // a double spawn, a zombie after failover) before reading the highest number: the
      // journal refuses their writes from now on. A restart of this actor recovers as the
      // same writer without claiming again: if another incarnation claimed meanwhile, this
      // one is the stale one, and its next write is refused, which stops it.
      if (!writer.claimed && typeof journal.claimWriter === 'function') {
        await journal.claimWriter(pid, writer.uuid);
        writer.claimed = true;
      }
      const snapshotStoreId = this.hooks.snapshotStoreId();
      this.snapshotter = new Snapshotter(pid, this.serialization, () => persistence.snapshotStoreFor(snapshotStoreId));
      let last = 0;
      const applySnapshot = this.hooks.applySnapshot;
      if (applySnapshot !== undefined && recovery.fromSnapshot.maxSequenceNr > 0) {
        const loaded = await loadNewestSnapshot(await this.snapshotter.storeNow(), this.serialization, pid, recovery.fromSnapshot, persistence.maxSnapshotLoadAttempts, this.log);
        if (loaded !== undefined) {
          applySnapshot(loaded.state as S, loaded.metadata);
          last = loaded.metadata.sequenceNr;
        }
      }
      const highest = await journal.readHighestSequenceNr(pid, last + 1);
      const to = Math.min(recovery.toSequenceNr, highest);
      if (to > last && recovery.replayMax > 0) {
        for await (const page of journal.replayMessages(pid, { fromSequenceNr: last + 1, toSequenceNr: to, max: recovery.replayMax })) {
          for (let i = 0; i < page.length; i++) {
            const repr = page[i] as PersistentRepr;
            this.replay(repr);
            last = repr.sequenceNr;
          }
        }
      }
      // Continue after the highest stored number even when replay stopped earlier
      // (toSequenceNr, replayMax, Recovery.none): numbers never repeat.
      this.lastSeq = Math.max(highest, last);
    } catch (cause) {
      this.phase = FAILED;
      const error = new RecoveryError(pid, cause);
      this.guard('onRecoveryFailure', () => this.hooks.onRecoveryFailure(error));
      throw error;
    }
    this.phase = RUNNING;
    await this.handle(() => this.hooks.onRecoveryCompleted());
  }

  /** Reused for every replayed event: the registry reads it and keeps nothing (one allocation less per event). */
  private readonly scratch: { serializerId: string; manifest: string; bytes: Uint8Array } = { serializerId: '', manifest: '', bytes: EMPTY };

  private replay(repr: PersistentRepr): void {
    const scratch = this.scratch;
    scratch.serializerId = repr.serializerId;
    scratch.manifest = repr.manifest;
    scratch.bytes = repr.payload;
    const value = this.serialization.deserialize(scratch);
    const adapter = this.adapter;
    if (adapter === undefined) {
      this.hooks.applyEvent(value as E);
      return;
    }
    const events = adapter.fromJournal(value, repr.eventManifest);
    for (let i = 0; i < events.length; i++) this.hooks.applyEvent(events[i] as E);
  }

  // ---- Commands -----------------------------------------------------------------

  /**
   * Runs a command handler. The returned Promise (if any) settles once the handler and
   * every write it started have settled; it rejects with the write failure if one
   * happened (even if the handler caught it), so supervision applies.
   */
  handle(run: () => void | Promise<void>, command?: unknown): void | Promise<void> {
    // Stale: the actor is stopping; a command that slipped in is not handled, and says so.
    if (this.phase === STALE) {
      publishDeadLetter(this.system, command, this.hooks.self().path, STALE_DEAD_LETTER);
      return;
    }
    if (this.phase !== RUNNING) {
      throw new TypeError(
        this.phase === FAILED ? `PersistentActor ${this.pid}: handling a command after a failed write` : 'PersistentActor: a command arrived before recovery ran',
      );
    }
    this.handling = true;
    let result: void | Promise<void>;
    try {
      result = run();
    } catch (error) {
      if (this.pending > 0) return this.settle(Promise.reject(error));
      this.handling = false;
      this.rethrow(error);
      return;
    }
    if (this.pending === 0 && (result === undefined || typeof (result as Promise<void>).then !== 'function')) {
      this.handling = false;
      if (this.failure !== undefined) throw this.failure;
      return;
    }
    return this.settle(result);
  }

  private async settle(result: void | Promise<void>): Promise<void> {
    let handlerError: unknown;
    let threw = false;
    try {
      await result;
    } catch (error) {
      threw = true;
      handlerError = error;
    }
    while (this.pending > 0) {
      this.drained ??= Promise.withResolvers<void>();
      await this.drained.promise;
    }
    this.handling = false;
    if (this.failure !== undefined) throw this.failure;
    if (this.phase === STALE) {
      // Stop once the handler has seen its rejection (it may reply to the sender first).
      // Its own error, if any, must not reach the supervisor: a restart would claim the id
      // back from the newer incarnation.
      if (threw && !isRejection(handlerError)) this.log.error(`${this.pid}: command handler failed while stopping a stale incarnation: ${describeCause(handlerError)}`, { error: handlerError });
      this.hooks.stopSelf();
      return;
    }
    if (threw) this.rethrow(handlerError);
  }

  /**
   * The rule for an error a command handler throws: a `JournalRejectedError` (by its
   * `code`, whichever object it is: rethrown, copied, or from another copy of this
   * package) was reported to `onPersistRejected` and does not fail the actor; anything
   * else does, including an error of the handler's own whose `cause` is a rejection.
   */
  private rethrow(error: unknown): void {
    if (isRejection(error)) return;
    throw error;
  }

  // ---- Persisting ---------------------------------------------------------------

  persist(events: readonly E[]): Promise<void> {
    if (this.phase === STALE) return rejected(this.ownRejection(this.staleBy));
    if (this.phase !== RUNNING) {
      if (this.phase === FAILED && this.failure !== undefined) return rejected(new JournalWriteError(this.pid, this.failure));
      throw new TypeError(this.phase === FAILED ? `PersistentActor ${this.pid}: cannot persist after recovery failed` : 'PersistentActor: cannot persist during recovery');
    }
    if (!this.handling) throw new TypeError(`PersistentActor ${this.pid}: persist only while handling a command or in onRecoveryCompleted (await it inside the handler)`);
    if (this.failure !== undefined) return rejected(new JournalWriteError(this.pid, this.failure));
    let reprs: MutableRepr[];
    try {
      reprs = this.serialize(events);
    } catch (cause) {
      // Refused before reaching the journal: no sequence number is used.
      const error = new JournalRejectedError(this.pid, cause);
      this.guard('onPersistRejected', () => this.hooks.onPersistRejected(error, events));
      return rejected(error);
    }
    const write = new PendingWrite<E>(this, this.pid, events, reprs);
    this.pending++;
    if (this.inFlight === undefined) this.send(write);
    else this.queue.push(write);
    return write.promise;
  }

  private serialize(events: readonly E[]): MutableRepr[] {
    const adapter = this.adapter;
    const timestamp = Date.now();
    const reprs: MutableRepr[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as E;
      const serialized = this.serialization.serialize(adapter === undefined ? event : adapter.toJournal(event));
      reprs[i] = {
        persistenceId: this.pid,
        sequenceNr: 0,
        payload: serialized.bytes,
        serializerId: serialized.serializerId,
        manifest: serialized.manifest,
        eventManifest: adapter === undefined ? '' : adapter.manifest(event),
        tags: this.hooks.tagsFor(event),
        timestamp,
        writerUuid: this.writerUuid,
      };
    }
    return reprs;
  }

  private send(write: PendingWrite<E>): void {
    this.inFlight = write;
    write.number(this.lastSeq);
    (this.batcher as JournalBatcher).submit(write, write);
  }

  onWritten(write: PendingWrite<E>, rejection: Error | undefined): void {
    this.inFlight = undefined;
    if (rejection === undefined) {
      const previous = this.lastSeq;
      this.lastSeq = previous + write.events.length;
      let handlerError: unknown;
      try {
        const events = write.userEvents;
        for (let i = 0; i < events.length; i++) this.hooks.applyEvent(events[i] as E);
      } catch (error) {
        handlerError = error;
      }
      if (handlerError !== undefined) {
        // Stored, but the state could not follow: the actor must fail and recover.
        this.fail(handlerError instanceof Error ? handlerError : new Error(String(handlerError)));
        write.reject(handlerError);
      } else {
        if (this.snapshotEvery > 0 && Math.floor(this.lastSeq / this.snapshotEvery) > Math.floor(previous / this.snapshotEvery)) this.snapshotInBackground();
        write.resolve();
      }
    } else {
      const error = this.ownRejection(rejection);
      if (this.phase === RUNNING && isStaleWriterRejection(rejection)) this.becomeStale(rejection);
      this.guard('onPersistRejected', () => this.hooks.onPersistRejected(error, write.userEvents));
      write.reject(error);
    }
    this.settled();
    if (this.phase === STALE) {
      // Never sent: the journal would refuse them too, and nothing of them is stored.
      while (this.queue.length > 0) {
        const queued = this.queue.shift() as PendingWrite<E>;
        const error = this.ownRejection(this.staleBy);
        this.guard('onPersistRejected', () => this.hooks.onPersistRejected(error, queued.userEvents));
        queued.reject(error);
        this.settled();
      }
      return;
    }
    const next = this.queue.shift();
    if (next !== undefined) {
      if (this.failure === undefined) this.send(next);
      else this.onFailed(next, this.failure);
    }
  }

  /** A rejection reported to the caller (and `onPersistRejected`) that must not fail the actor. */
  private ownRejection(cause: unknown): JournalRejectedError {
    return new JournalRejectedError(this.pid, cause);
  }

  /**
   * The journal refused a write because another incarnation owns the id. Restarting would
   * recover, claim the id back and fence the newer incarnation in turn (two writers taking
   * turns forever), so this one stops once the current command has settled.
   */
  private becomeStale(rejection: Error): void {
    this.phase = STALE;
    this.staleBy = rejection;
    this.log.error(
      `${this.pid}: the journal refused a write because another incarnation of this persistence id is writing (${describeCause(rejection)}); stopping this one, which is stale. Two actors with one persistence id ran at once (a split brain, a double spawn, or a node that came back after failover).`,
      { persistenceId: this.pid, error: rejection },
    );
  }

  onFailed(write: PendingWrite<E>, cause: unknown): void {
    if (this.inFlight === write) this.inFlight = undefined;
    const error = new JournalWriteError(this.pid, cause);
    this.fail(error);
    this.guard('onPersistFailure', () => this.hooks.onPersistFailure(error, write.userEvents));
    write.reject(error);
    this.settled();
    // Writes queued behind a failed one are never sent: their callers learn it now.
    while (this.queue.length > 0) {
      const queued = this.queue.shift() as PendingWrite<E>;
      queued.reject(new JournalWriteError(this.pid, error));
      this.settled();
    }
  }

  private fail(error: Error): void {
    if (this.failure === undefined) this.failure = error;
    this.phase = FAILED;
  }

  private settled(): void {
    this.pending--;
    if (this.pending === 0 && this.drained !== undefined) {
      const drained = this.drained;
      this.drained = undefined;
      drained.resolve();
    }
  }

  // ---- Snapshots and deletion ---------------------------------------------------

  saveSnapshot(state: S): Promise<SnapshotMetadata> {
    if (this.phase === STALE) return rejected(new StaleIncarnationError(this.pid, 'saveSnapshot'));
    return this.requireSnapshotter().save(state, this.lastSeq);
  }

  private snapshotInBackground(): void {
    let state: S;
    try {
      state = this.hooks.snapshotState();
    } catch (error) {
      this.log.warn(`${this.pid}: snapshotState() threw; no snapshot taken: ${describeCause(error)}`, { error });
      return;
    }
    this.saveSnapshot(state).catch((error: unknown) => this.log.warn(`${this.pid}: automatic snapshot failed: ${describeCause(error)}`, { error }));
  }

  // Deletes and snapshot saves are not fenced by the journal (it cannot tell whose they
  // are): an incarnation that knows it is stale must not touch the newer one's state.

  deleteSnapshot(sequenceNr: number): Promise<void> {
    if (this.phase === STALE) return rejected(new StaleIncarnationError(this.pid, 'deleteSnapshot'));
    return this.requireSnapshotter().delete(sequenceNr);
  }

  deleteSnapshots(criteria: SnapshotSelectionCriteria): Promise<void> {
    if (this.phase === STALE) return rejected(new StaleIncarnationError(this.pid, 'deleteSnapshots'));
    return this.requireSnapshotter().deleteMatching(criteria);
  }

  deleteEventsTo(toSequenceNr: number): Promise<void> {
    if (this.phase === STALE) return rejected(new StaleIncarnationError(this.pid, 'deleteEventsTo'));
    const handle = this.journalHandle;
    if (handle === undefined) throw new TypeError('PersistentActor: deleteEventsTo before recovery');
    if (!(toSequenceNr === Infinity || (Number.isInteger(toSequenceNr) && toSequenceNr >= 0))) throw new RangeError(`deleteEventsTo: toSequenceNr must be an integer >= 0, got ${toSequenceNr}`);
    // Only confirmed events can be deleted; a larger number means "everything so far".
    const to = Math.min(toSequenceNr, this.lastSeq);
    return attempt(() => handle.journal.deleteMessagesTo(this.pid, to)).catch((cause: unknown) => {
      throw new JournalDeleteError(this.pid, cause);
    });
  }

  private requireSnapshotter(): Snapshotter {
    if (this.snapshotter === undefined) throw new TypeError('PersistentActor: snapshot operations before recovery');
    return this.snapshotter;
  }

  private guard(hook: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.log.error(`${this.pid}: ${hook} threw: ${describeCause(error)}`, { error });
    }
  }
}

const EMPTY = new Uint8Array(0);

/** The dead-letter reason of a command that reached a stale incarnation while it stopped. */
const STALE_DEAD_LETTER = 'stale-incarnation (a newer incarnation owns the persistence id; this one is stopping)';

/** A journal rejection, known by its stable code rather than by class identity or object identity. */
function isRejection(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === 'ERR_JOURNAL_REJECTED';
}

function rejected<T>(error: unknown): Promise<T> {
  const promise = Promise.reject<T>(error);
  promise.catch(() => {});
  return promise;
}

function attempt<T>(run: () => Promise<T>): Promise<T> {
  try {
    return run();
  } catch (error) {
    return Promise.reject(error);
  }
}
