import { Actor, type ActorRef } from '@troupe/core';
import { type JournalRejectedError, type JournalWriteError, type RecoveryError, isStaleWriterRejection } from './errors.js';
import type { EventAdapter } from './event-adapter.js';
import { Eventsourced } from './internal/eventsourced.js';
import { Recovery } from './recovery.js';
import type { SnapshotMetadata, SnapshotSelectionCriteria } from './snapshot-store.js';

/**
 * An event-sourced actor: commands come in through `receiveCommand`, which decides
 * and calls `persist`; `applyEvent` changes state, both after the journal confirmed a
 * write and during recovery. State therefore only ever reflects stored events.
 *
 * Guarantees (DESIGN.md, guarantee 5):
 * - `await this.persist(e)` resolves after the journal stored `e` and `applyEvent(e)` ran.
 * - Sequence numbers per `persistenceId` start at 1 and never skip or repeat; a rejected
 *   write uses none (unlike Akka, which leaves a gap).
 * - On start and on every restart, recovery loads the newest usable snapshot (when the
 *   actor overrides `applySnapshot`), then replays later events in order; commands that
 *   arrive meanwhile wait in the mailbox and are handled after `onRecoveryCompleted`.
 * - While writes of a command are in flight, later commands wait (even when the handler
 *   did not await `persist`).
 * - A failed write (journal down) rejects `persist` with `JournalWriteError` and fails the
 *   actor, so its supervisor applies; spawn it with
 *   `supervision: SupervisorStrategy.restartWithBackoff({...})` to recover once the journal is back.
 * - A rejected write (serializer or journal refused it) rejects `persist` with
 *   `JournalRejectedError`, calls `onPersistRejected`, and the actor keeps running —
 *   except a stale-writer rejection (`isStaleWriterRejection`: another incarnation of the
 *   persistence id claimed it or stored the number first), after which the actor logs an
 *   error once and stops when the command has settled, instead of restarting into a loop
 *   of two writers fencing each other. Each spawned actor claims the id with its own writer
 *   uuid (`Journal.claimWriter`) at its first recovery (a restart does not claim again), so
 *   the newest incarnation is the one that keeps writing.
 *
 * Hooks that customise it are methods or fields to override: `journalId`,
 * `snapshotStoreId`, `snapshotEvery`, `recovery()`, `tagsFor()`, `eventAdapter()`,
 * `applySnapshot()` + `snapshotState()`, `onRecoveryCompleted()`, `onPersistRejected()`,
 * `onPersistFailure()`, `onRecoveryFailure()`. Recovery does not depend on the lifecycle
 * hooks: it runs before `preStart` (and before `postRestart` on a restart) whether or not
 * an override calls `super.preStart()`, so overridden hooks see the recovered state.
 *
 * A command handler that throws (or rejects with) a `JournalRejectedError` does not fail
 * the actor, whichever object it is (rethrown, copied, or built anew): a rejection was
 * reported to `onPersistRejected` and the actor keeps running. Any other error fails it,
 * including one of the handler's own whose `cause` is a rejection.
 *
 * @example
 * type Cmd = { type: 'add'; n: number; replyTo: ActorRef<number> };
 * type Evt = { type: 'added'; n: number };
 * class Counter extends PersistentActor<Cmd, Evt> {
 *   readonly persistenceId = 'counter-1';
 *   private total = 0;
 *   applyEvent(e: Evt) { this.total += e.n; }
 *   async receiveCommand(c: Cmd) {
 *     await this.persist({ type: 'added', n: c.n });
 *     c.replyTo.tell(this.total);
 *   }
 * }
 */
export abstract class PersistentActor<C, E, S = never> extends Actor<C> {
  /** Identifies the event stream; unique among the actors of a journal, stable across restarts. */
  abstract readonly persistenceId: string;
  /** Journal id in `Persistence` settings. @default the default journal */
  readonly journalId: string | undefined = undefined;
  /** Snapshot store id in `Persistence` settings. @default the default snapshot store */
  readonly snapshotStoreId: string | undefined = undefined;
  /** Save `snapshotState()` automatically every N events (requires `snapshotState`). @default never */
  readonly snapshotEvery: number | undefined = undefined;

  readonly #engine: Eventsourced<E, S>;
  /** This instance's recovery, started once by whichever start hook the runtime calls first. */
  #recovery: Promise<void> | undefined;

  constructor() {
    super();
    // Made once; the getter below hands it out while the actor overrides applySnapshot.
    const applySnapshot = (snapshot: S, metadata: SnapshotMetadata): void => this.applySnapshot(snapshot, metadata);
    const handlesSnapshots = (): boolean => this.applySnapshot !== PersistentActor.prototype.applySnapshot;
    this.#engine = new Eventsourced<E, S>(this.context.system, this.context.log, {
      persistenceId: () => this.persistenceId,
      journalId: () => this.journalId,
      snapshotStoreId: () => this.snapshotStoreId,
      snapshotEvery: () => this.snapshotEvery,
      recovery: () => this.recovery(),
      applyEvent: (event) => this.applyEvent(event),
      get applySnapshot() {
        return handlesSnapshots() ? applySnapshot : undefined;
      },
      snapshotState: () => this.snapshotState(),
      tagsFor: (event) => this.tagsFor(event),
      eventAdapter: () => this.eventAdapter(),
      onRecoveryCompleted: () => this.onRecoveryCompleted(),
      onRecoveryFailure: (error) => this.onRecoveryFailure(error),
      onPersistRejected: (error, events) => this.onPersistRejected(error, events),
      onPersistFailure: (error, events) => this.onPersistFailure(error, events),
      stopSelf: () => this.context.stop(this.context.self as ActorRef<never>),
      self: () => this.context.self as ActorRef<never>,
    });
    // The runtime calls preStart (first start) or postRestart (restart) on each instance.
    // Wrapping this instance's two hooks runs recovery before them, so an override that
    // forgets super.preStart(), or a postRestart that skips preStart, cannot skip it.
    const userPreStart = this.preStart;
    const userPostRestart = this.postRestart;
    this.preStart = () => this.#recoverThen(() => userPreStart.call(this));
    this.postRestart = (error) => this.#recoverThen(() => userPostRestart.call(this, error));
  }

  #recoverOnce(): Promise<void> {
    return (this.#recovery ??= this.#engine.recover());
  }

  async #recoverThen(hook: () => void | Promise<void>): Promise<void> {
    await this.#recoverOnce();
    await hook();
  }

  /** Handles one command; may persist. Return (or await) a Promise to keep later commands waiting. */
  abstract receiveCommand(command: C): void | Promise<void>;

  /** Applies one event to the state: after it was stored, and during recovery. Must not persist or have side effects. */
  abstract applyEvent(event: E): void;

  /** Restores state from a snapshot during recovery. Override it (with `snapshotState`) to use snapshots. */
  applySnapshot(_snapshot: S, _metadata: SnapshotMetadata): void {}

  /** The state to save for `snapshotEvery`. @throws TypeError unless overridden */
  snapshotState(): S {
    throw new TypeError(`${this.constructor.name}: override snapshotState() to use snapshotEvery`);
  }

  /** How to recover: from which snapshot, up to which event. @default Recovery.default */
  recovery(): Recovery {
    return Recovery.default;
  }

  /** Tags stored with `event` (for `eventsByTag`). @default none */
  tagsFor(_event: E): readonly string[] {
    return NO_TAGS;
  }

  /** Translates events to and from their stored form (schema evolution). @default none */
  eventAdapter(): EventAdapter<E> | undefined {
    return undefined;
  }

  /** Runs once recovery has finished, before the first command. May persist; may be async. */
  onRecoveryCompleted(): void | Promise<void> {}

  /** Recovery failed; the actor fails next (its supervisor decides). @default logs an error */
  onRecoveryFailure(error: RecoveryError): void {
    this.context.log.error(error.message, { error });
  }

  /** A write was rejected; `persist` rejects and the actor keeps running (or stops, when stale). @default logs a warning */
  onPersistRejected(error: JournalRejectedError, _events: readonly E[]): void {
    // A stale writer's rejections are logged once by the runtime as it stops the actor.
    if (isStaleWriterRejection(error)) return;
    this.context.log.warn(error.message, { error });
  }

  /** A write failed; `persist` rejects and the actor fails next. @default logs an error */
  onPersistFailure(error: JournalWriteError, _events: readonly E[]): void {
    this.context.log.error(error.message, { error });
  }

  /** Highest sequence number stored for this actor (0 before the first event). */
  get lastSequenceNr(): number {
    return this.#engine.lastSequenceNr;
  }

  /** True until recovery has finished. */
  get recoveryRunning(): boolean {
    return this.#engine.isRecovering;
  }

  /**
   * Stores `event`, then runs `applyEvent(event)`, then resolves. Call it from
   * `receiveCommand` (or `onRecoveryCompleted`).
   * @throws TypeError when called outside a command handler
   * @returns rejects with `JournalRejectedError` (nothing stored, actor keeps running) or
   *   `JournalWriteError` (actor fails)
   */
  persist(event: E): Promise<void> {
    return this.#engine.persist([event]);
  }

  /** Stores `events` as one atomic write (all or none), then applies each in order. */
  persistAll(events: readonly E[]): Promise<void> {
    if (!Array.isArray(events)) throw new TypeError('persistAll: events must be an array');
    if (events.length === 0) return Promise.resolve();
    return this.#engine.persist(events);
  }

  /** Saves `state` as the snapshot at `lastSequenceNr`. Failure rejects with `SnapshotStoreError` and is not fatal. */
  saveSnapshot(state: S): Promise<SnapshotMetadata> {
    return this.#engine.saveSnapshot(state);
  }

  /** Deletes the snapshot at `sequenceNr`. */
  deleteSnapshot(sequenceNr: number): Promise<void> {
    return this.#engine.deleteSnapshot(sequenceNr);
  }

  /** Deletes every snapshot matching `criteria`. */
  deleteSnapshots(criteria: SnapshotSelectionCriteria): Promise<void> {
    return this.#engine.deleteSnapshots(criteria);
  }

  /** Deletes stored events up to `toSequenceNr` (capped at `lastSequenceNr`); numbering continues. */
  deleteEventsTo(toSequenceNr: number): Promise<void> {
    return this.#engine.deleteEventsTo(toSequenceNr);
  }

  /**
   * Runs after recovery (commands wait in the mailbox until both finish). Calling
   * `super.preStart()` from an override is harmless: recovery runs once per instance.
   */
  override preStart(): void | Promise<void> {
    return this.#recoverOnce();
  }

  /** Routes each message to `receiveCommand` and holds the mailbox until its writes settled. */
  override receive(command: C): void | Promise<void> {
    return this.#engine.handle(() => this.receiveCommand(command), command);
  }
}

const NO_TAGS: readonly string[] = Object.freeze([]);
