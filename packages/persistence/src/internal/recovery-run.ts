import type { Logger, SerializationRegistry } from '@troupe/core';
import type { EventAdapter } from '../event-adapter.js';
import type { JournalBatcher } from '../journal-batcher.js';
import { type JournalHandle, type Persistence, batcherOf } from '../persistence.js';
import type { PersistentRepr } from '../persistent-repr.js';
import type { ResolvedRecovery } from '../recovery.js';
import type { SnapshotMetadata } from '../snapshot-store.js';
import { loadNewestSnapshot } from './load-snapshot.js';
import { Snapshotter } from './snapshotter.js';
import type { Writer } from './writer-identity.js';

/** The actor's hooks a recovery run calls. */
export interface RecoveryHooks<E, S> {
  readonly journalId: () => string | undefined;
  readonly snapshotStoreId: () => string | undefined;
  readonly applyEvent: (event: E) => void;
  /** Undefined when the actor does not take snapshots: recovery then replays everything. */
  readonly applySnapshot: ((snapshot: S, metadata: SnapshotMetadata) => void) | undefined;
}

/**
 * Where a run hands what it sets up, as soon as it has it (so an actor whose recovery
 * failed half-way keeps what was set up before the failure, as it always has).
 */
export interface RecoverySetup {
  journalReady(handle: JournalHandle, batcher: JournalBatcher): void;
  snapshotterReady(snapshotter: Snapshotter): void;
}

const EMPTY = new Uint8Array(0);

/**
 * One recovery of one persistent actor: finds its journal, lets a hung write of the id
 * settle, claims the id for this writer (fencing older incarnations), loads the newest
 * usable snapshot, replays the events after it, and says which sequence number comes
 * next. Apart from the engine because it runs once per instance, before any command, and
 * shares no state with the write path but the number it returns.
 */
export class RecoveryRun<E, S> {
  /** Reused for every replayed event: the registry reads it and keeps nothing (one allocation less per event). */
  private readonly scratch: { serializerId: string; manifest: string; bytes: Uint8Array } = { serializerId: '', manifest: '', bytes: EMPTY };

  constructor(
    private readonly pid: string,
    private readonly recovery: ResolvedRecovery,
    private readonly persistence: Persistence,
    private readonly serialization: SerializationRegistry,
    private readonly adapter: EventAdapter<E> | undefined,
    private readonly writer: Writer,
    private readonly hooks: RecoveryHooks<E, S>,
    private readonly log: Logger,
    private readonly setup: RecoverySetup,
  ) {}

  /**
   * Runs the recovery; resolves with the last sequence number used, after which writes
   * continue. Rejects with whatever went wrong (the engine wraps it in a RecoveryError).
   */
  async run(): Promise<number> {
    const { pid, persistence, recovery, writer } = this;
    const journalHandle = await persistence.journalFor(this.hooks.journalId());
    const batcher = batcherOf(journalHandle);
    this.setup.journalReady(journalHandle, batcher);
    const journal = journalHandle.journal;
    // A write of this id that timed out (the instance before a restart) may still land:
    // let it settle before reading the highest number, so that number includes it.
    const hung = batcher.settledFor(pid);
    if (hung !== undefined) await hung;
    // The first recovery of a spawned actor fences every older incarnation (another node,
    // a double spawn, a zombie after failover) before reading the highest number: the
    // journal refuses their writes from now on. A restart of this actor recovers as the
    // same writer without claiming again: if another incarnation claimed meanwhile, this
    // one is the stale one, and its next write is refused, which stops it.
    if (!writer.claimed) {
      if (typeof journal.claimWriter === 'function') await journal.claimWriter(pid, writer.uuid);
      else warnUnfencedOnce(journal, this.log);
      writer.claimed = true;
    }
    const snapshotStoreId = this.hooks.snapshotStoreId();
    const snapshotter = new Snapshotter(pid, this.serialization, () => persistence.snapshotStoreFor(snapshotStoreId));
    this.setup.snapshotterReady(snapshotter);
    let last = 0;
    const applySnapshot = this.hooks.applySnapshot;
    if (applySnapshot !== undefined && recovery.fromSnapshot.maxSequenceNr > 0) {
      const loaded = await loadNewestSnapshot(await snapshotter.storeNow(), this.serialization, pid, recovery.fromSnapshot, persistence.maxSnapshotLoadAttempts, this.log);
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
    return Math.max(highest, last);
  }

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
}

/** Journals already warned about (a plugin built against the SPI before `claimWriter`). */
const warnedUnfenced = new WeakSet<object>();

/** One warning per journal that cannot fence older incarnations, instead of silence. */
function warnUnfencedOnce(journal: object, log: Logger): void {
  if (warnedUnfenced.has(journal)) return;
  warnedUnfenced.add(journal);
  log.warn(
    `journal ${journal.constructor?.name ?? 'object'} has no claimWriter: it cannot refuse the writes of an older incarnation of a persistence id (split brain, double spawn); update the plugin to the single-writer contract of @troupe/persistence`,
  );
}
