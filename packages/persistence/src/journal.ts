import type { AtomicWrite, PersistentRepr } from './persistent-repr.js';

/** Bounds of a replay. */
export interface ReplayRange {
  /** First sequence number to return (inclusive, ≥ 1). */
  readonly fromSequenceNr: number;
  /** Last sequence number to return (inclusive); may be `Infinity`. */
  readonly toSequenceNr: number;
  /** Most events to return in total; may be `Infinity`; 0 returns nothing. */
  readonly max: number;
}

/** A stored event with its position in a journal-wide order (for tag queries). */
export interface OrderedRepr {
  /** Strictly increasing across the whole journal in commit order; starts above 0. */
  readonly offset: number;
  readonly repr: PersistentRepr;
}

/** A persistence id with the position at which it first appeared. */
export interface OrderedPersistenceId {
  /** Strictly increasing in order of each id's first write; starts above 0. */
  readonly offset: number;
  readonly persistenceId: string;
}

/**
 * Reports the outcome of `writes[index]` of a `writeMessages` call before the call settles:
 * `undefined` when stored, the error when that write alone was rejected.
 */
export type WriteReport = (index: number, rejection: Error | undefined) => void;

/** What a journal supports beyond the required SPI; read by the query layer and the TCK. */
export interface JournalCapabilities {
  /** `currentPersistenceIds` is implemented. */
  readonly persistenceIdsQuery: boolean;
  /** `currentEventsByTag` is implemented. */
  readonly eventsByTagQuery: boolean;
  /** `subscribe` is implemented, so live queries wake at once instead of polling. */
  readonly changeNotifications: boolean;
  /** `currentHighestOffsetOfTag` is implemented (cheaply: monitoring calls it often). Absent means false. */
  readonly highestOffsetOfTagQuery?: boolean;
}

/**
 * The journal SPI: what any event store implements to back persistent actors. Every
 * method is asynchronous and is called concurrently for different persistence ids.
 *
 * Contract (the TCK, `@troupe/persistence/tck`, checks each point):
 *
 * `writeMessages(writes)`
 * - MUST store each `AtomicWrite` all-or-nothing.
 * - MUST resolve with one entry per write, in the order given: `undefined` when the write
 *   is stored durably (as durable as the journal promises), or an `Error` when that write
 *   alone was rejected (e.g. too large, not storable) and NOTHING of it was stored.
 * - MUST reject the returned Promise (or throw) when it cannot tell which writes were
 *   stored (connection lost, disk error): that is a failure, not a rejection.
 * - MUST NOT resolve before the stored writes would be returned by `replayMessages` and
 *   `readHighestSequenceNr`, and would survive a restart of the process (durable journals).
 * - MUST accept writes of many persistence ids in one call and store each id's events in
 *   sequence order, the writes of a call in the order given. One actor sends at most one
 *   write of its id per call, numbered after the highest it knows; but two actors with one
 *   id (a double spawn in one system) can each have a write in the same call, with the
 *   same first number: the single-writer rules below apply between them as between calls.
 * - MUST NOT modify payloads, manifests, tags, timestamps or writer ids.
 * - MAY report each write's outcome early through `onWritten(index, rejection)`, once it
 *   is known and before the returned Promise settles: at most once per index, only after
 *   that write alone is as stored as the rules above demand, and with the same outcome the
 *   Promise then resolves with for that index. A reported outcome is final: if the call
 *   later rejects, the reported writes keep their outcome and only the others fail.
 *   Journals that store each write on its own (one statement per write) should report:
 *   the runtime then lets each actor continue when its own write is stored instead of
 *   when the slowest write of the call is. Journals that store a call as a whole
 *   need not.
 *
 * Single writer (guarantee 5 of the design). The runtime runs at most one writer per
 * persistence id, but a split brain, a double spawn or a zombie after failover can still
 * produce two. The journal is the last line of defence, so:
 * - `writeMessages` MUST refuse a write whose first sequence number is not above the id's
 *   highest stored number, with a `SequenceNumberTakenError` rejection for that write,
 *   storing nothing of it and nothing that stops `replayMessages` from reading the history.
 *   It MUST NOT overwrite or shadow a stored event. Two writes of one id for one number,
 *   from any instances, in one call or in several (two calls in flight on two journal
 *   instances in two processes), MUST NOT both be acknowledged: an earlier write of the
 *   same call counts as stored for the checks of the later ones.
 * - `claimWriter(persistenceId, writerUuid)` is called at the start of a spawned actor's
 *   first recovery, before `readHighestSequenceNr` (the writer uuid belongs to the spawned
 *   actor: a supervisor restart recovers under it again without claiming). Once it resolves, the journal MUST refuse every write
 *   of that id whose events carry another `writerUuid` (a `WriterFencedError` rejection,
 *   nothing stored), whether or not its sequence numbers collide, until a later claim by
 *   another writer. Fenced wins over every other refusal: a fenced writer's write is
 *   refused with `WriterFencedError` whatever else is wrong with it (a taken number, a
 *   payload too large), so the runtime stops the stale actor instead of letting it run on.
 *   A claim MUST NOT lose, hide or reorder stored events, MUST NOT register the id (no
 *   `currentPersistenceIds` entry, highest stays 0 until a write), and MUST be durable as
 *   writes are (a restarted journal still fences the old writer). Ids never claimed accept
 *   writes of any `writerUuid`.
 * - Deletes (`deleteMessagesTo`) are not fenced by the journal: it cannot tell whose they
 *   are. The runtime guards them instead: an actor that knows it is stale refuses to
 *   delete events or snapshots (`StaleIncarnationError`).
 * - Refusals are recognised by their `code` (`ERR_SEQUENCE_NUMBER_TAKEN`,
 *   `ERR_WRITER_FENCED`; see `isStaleWriterRejection`): the runtime stops the actor that
 *   made the write instead of letting it retry.
 * - A journal MUST NOT acknowledge a write that it stored but later hides from replay.
 *   An acknowledged event is in every later replay, in order, until deleted.
 *
 * `replayMessages(persistenceId, range)`
 * - MUST yield the stored events with `from ≤ sequenceNr ≤ to`, ascending, at most `max`
 *   in total, in non-empty arrays (pages). Nothing for an unknown id or an empty range.
 * - MUST read lazily: the consumer asks for the next page when it is ready (backpressure),
 *   and may stop early (`break`), which MUST release any cursor.
 * - MUST NOT yield deleted events.
 *
 * `readHighestSequenceNr(persistenceId, fromSequenceNr)`
 * - MUST resolve with the highest sequence number ever stored for the id, also when the
 *   events up to it were deleted; 0 for an unknown id. `fromSequenceNr` is a hint only:
 *   the runtime guarantees the highest is at least `fromSequenceNr - 1`.
 *
 * Recovery of an actor calls `readHighestSequenceNr` and then (if there is anything to
 * read) `replayMessages` for the same id, with no write of that id in between; a journal
 * MAY use the first call to prepare the second (e.g. fetch the first page with it).
 *
 * `deleteMessagesTo(persistenceId, toSequenceNr)`
 * - MUST make events with `sequenceNr ≤ toSequenceNr` unreadable by replay (physically or by
 *   a marker); `toSequenceNr` above the highest deletes all; deleting twice is harmless.
 * - MUST NOT lower the highest sequence number.
 *
 * Optional queries (declare them in `capabilities`):
 * - `currentPersistenceIds(afterOffset, limit)`: ids in order of first write, each once.
 * - `currentEventsByTag(tag, afterOffset, limit)`: events carrying `tag`, ascending offset,
 *   offsets strictly above `afterOffset`; an event written later MUST get a higher offset
 *   than every event already returned (so resuming from an offset misses nothing).
 * - `subscribe(listener)`: calls `listener` (asynchronously) after new writes are stored.
 * - `currentHighestOffsetOfTag(tag)`: the offset of the last event `currentEventsByTag(tag, 0, ∞)`
 *   would return now; 0 when no stored event carries `tag`. It answers from an index (no
 *   scan of the tag's events), so monitoring can ask how far a consumer is behind.
 *
 * `close()` releases files and connections; the runtime calls it when the actor system
 * terminates. After `close()`, calls may fail.
 */
export interface Journal {
  /** What this journal supports beyond the required methods. */
  readonly capabilities: JournalCapabilities;
  /** Stores atomic writes, optionally reporting each outcome as it is known; see the contract above. */
  writeMessages(writes: readonly AtomicWrite[], onWritten?: WriteReport): Promise<readonly (Error | undefined)[]>;
  /** Reads stored events in pages, lazily; see the contract above. */
  replayMessages(persistenceId: string, range: ReplayRange): AsyncIterable<readonly PersistentRepr[]>;
  /**
   * Makes `writerUuid` the only writer of the id and fences every other; see the contract
   * above. Optional in this type only until every plugin has it: the TCK fails without it,
   * and the runtime then has only the sequence-number check to stop a second writer.
   */
  claimWriter(persistenceId: string, writerUuid: string): Promise<void>;
  /** Highest sequence number ever stored for the id; 0 when unknown. */
  readHighestSequenceNr(persistenceId: string, fromSequenceNr: number): Promise<number>;
  /** Deletes events up to and including `toSequenceNr`. */
  deleteMessagesTo(persistenceId: string, toSequenceNr: number): Promise<void>;
  /** Persistence ids in order of first write, after `afterOffset`. Requires `persistenceIdsQuery`. */
  currentPersistenceIds?(afterOffset: number, limit: number): Promise<readonly OrderedPersistenceId[]>;
  /** Events tagged `tag` after `afterOffset`, ascending. Requires `eventsByTagQuery`. */
  currentEventsByTag?(tag: string, afterOffset: number, limit: number): Promise<readonly OrderedRepr[]>;
  /** Offset of the last event tagged `tag`; 0 when none. Requires `highestOffsetOfTagQuery`. */
  currentHighestOffsetOfTag?(tag: string): Promise<number>;
  /** Registers a listener called after each stored batch; returns the unsubscribe function. */
  subscribe?(listener: () => void): () => void;
  /** Releases resources. */
  close?(): Promise<void>;
}

/** Checks a range the runtime or a query built; journals may rely on it being sane. */
export function checkReplayRange(range: ReplayRange): void {
  if (!(Number.isInteger(range.fromSequenceNr) && range.fromSequenceNr >= 1)) throw new RangeError(`replay: fromSequenceNr must be an integer >= 1, got ${range.fromSequenceNr}`);
  if (!(range.toSequenceNr === Infinity || (Number.isInteger(range.toSequenceNr) && range.toSequenceNr >= 0)))
    throw new RangeError(`replay: toSequenceNr must be an integer >= 0 or Infinity, got ${range.toSequenceNr}`);
  if (!(range.max === Infinity || (Number.isInteger(range.max) && range.max >= 0))) throw new RangeError(`replay: max must be an integer >= 0 or Infinity, got ${range.max}`);
}
