import type { ActorRef, ActorSystem, Logger, SerializationRegistry } from '@troupe/core';
import { publishDeadLetter } from '@troupe/core/spi';
import { JournalDeleteError, JournalRejectedError, JournalWriteError, RecoveryError, StaleIncarnationError, describeCause, isStaleWriterRejection } from '../errors.js';
import type { EventAdapter } from '../event-adapter.js';
import type { JournalBatcher } from '../journal-batcher.js';
import { type JournalHandle, Persistence } from '../persistence.js';
import { type Recovery, resolveRecovery } from '../recovery.js';
import type { SnapshotMetadata, SnapshotSelectionCriteria } from '../snapshot-store.js';
import { type MutableRepr, PendingWrite, type WriteOwner } from './pending-write.js';
import { RecoveryRun } from './recovery-run.js';
import type { Snapshotter } from './snapshotter.js';
import { WriteQueue } from './write-queue.js';
import { writerOf } from './writer-identity.js';

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

const IDLE = 0;
const RECOVERING = 1;
const RUNNING = 2;
const FAILED = 3;
/** A newer incarnation owns the persistence id: the journal refused a write as stale. */
const STALE = 4;

/**
 * The event-sourcing engine behind `PersistentActor`: runs recovery (a RecoveryRun),
 * hands out sequence numbers, decides what each write's outcome means, and holds the
 * mailbox until every write of the current command settled (the order and the count
 * are its WriteQueue's).
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
  /** One write in flight, the rest in order, and the count of writes not yet settled. */
  private readonly writes = new WriteQueue<E>();
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
    const run = new RecoveryRun<E, S>(pid, recovery, persistence, this.serialization, this.adapter, writer, this.hooks, this.log, {
      journalReady: (handle, batcher) => {
        this.journalHandle = handle;
        this.batcher = batcher;
      },
      snapshotterReady: (snapshotter) => {
        this.snapshotter = snapshotter;
      },
    });
    try {
      this.lastSeq = await run.run();
    } catch (cause) {
      this.phase = FAILED;
      const error = new RecoveryError(pid, cause);
      this.guard('onRecoveryFailure', () => this.hooks.onRecoveryFailure(error));
      throw error;
    }
    this.phase = RUNNING;
    await this.handle(() => this.hooks.onRecoveryCompleted());
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
      throw new TypeError(this.phase === FAILED ? `PersistentActor ${this.pid}: handling a command after a failed write` : 'PersistentActor: a command arrived before recovery ran');
    }
    this.handling = true;
    let result: void | Promise<void>;
    try {
      result = run();
    } catch (error) {
      if (this.writes.unsettled > 0) return this.settle(Promise.reject(error));
      this.handling = false;
      this.rethrow(error);
      return;
    }
    if (this.writes.unsettled === 0 && (result === undefined || typeof (result as Promise<void>).then !== 'function')) {
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
    while (this.writes.unsettled > 0) await this.writes.drained();
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
    if (this.writes.add(write)) this.send(write);
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

  /** Numbers `write` after the last event stored and hands it to the journal (it is the write in flight). */
  private send(write: PendingWrite<E>): void {
    write.number(this.lastSeq);
    (this.batcher as JournalBatcher).submit(write, write);
  }

  onWritten(write: PendingWrite<E>, rejection: Error | undefined): void {
    this.writes.written();
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
    this.writes.settled();
    if (this.phase === STALE) {
      // Never sent: the journal would refuse them too, and nothing of them is stored.
      for (let queued = this.writes.takeNext(); queued !== undefined; queued = this.writes.takeNext()) {
        const error = this.ownRejection(this.staleBy);
        const events = queued.userEvents;
        this.guard('onPersistRejected', () => this.hooks.onPersistRejected(error, events));
        queued.reject(error);
        this.writes.settled();
      }
      return;
    }
    const next = this.writes.takeNext();
    if (next !== undefined) {
      if (this.failure === undefined) {
        this.writes.sending(next);
        this.send(next);
      } else this.onFailed(next, this.failure);
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
    this.writes.failed(write);
    const error = new JournalWriteError(this.pid, cause);
    this.fail(error);
    this.guard('onPersistFailure', () => this.hooks.onPersistFailure(error, write.userEvents));
    write.reject(error);
    this.writes.settled();
    // Writes queued behind a failed one are never sent: their callers learn it now.
    for (let queued = this.writes.takeNext(); queued !== undefined; queued = this.writes.takeNext()) {
      queued.reject(new JournalWriteError(this.pid, error));
      this.writes.settled();
    }
  }

  private fail(error: Error): void {
    if (this.failure === undefined) this.failure = error;
    this.phase = FAILED;
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
