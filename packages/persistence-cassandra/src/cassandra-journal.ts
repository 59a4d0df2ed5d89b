import {
  type AtomicWrite,
  type Journal,
  type JournalCapabilities,
  JournalListeners,
  type OrderedPersistenceId,
  type OrderedRepr,
  type PersistentRepr,
  type ReplayRange,
  type WriteReport,
  WriterFencedError,
} from '@troupe/persistence';
import cassandra from 'cassandra-driver';
import { type CassandraJournalOptions, type ResolvedCassandraJournalOptions, resolveJournalOptions } from './cassandra-options.js';
import { CassandraWriteRejectedError, describeDriverError } from './errors.js';
import { type EventTableOptions, type EventTableRow, scanEventTable } from './event-table.js';
import { CassandraSession, consistencyCode, serialConsistencyCode, toNumber } from './internal/cassandra-session.js';
import { FencedWriter, type WriteColumns } from './internal/fenced-writer.js';
import { forEachLimited } from './internal/for-each-limited.js';
import { LogAppender } from './internal/log-appender.js';
import { OrderedLog } from './internal/ordered-log.js';
import { toRepr } from './internal/stored-row.js';
import { entryBytes, eventEntry, idEntry, repairLastWrite } from './internal/tag-repair.js';
import { WriterStateCache } from './internal/writer-state-cache.js';
import { JournalStatements } from './journal-statements.js';
import { exceedsPartition, partitionNr, partitionOfWrite } from './partitioning.js';

// Persistence ids whose write state (fence, redirected partition) one instance remembers as hints.
const WRITER_STATE_CACHE_SIZE = 100_000;

type Row = cassandra.types.Row;
type Client = cassandra.Client;

// One append batch of the ordered logs (one Paxos round carries it whole). Single-partition
// batches are exempt from batch_size_fail_threshold (measured: a 6 MiB two-event append applies);
// 5,000 entries / 1 MiB per batch raised no throughput in a run of bench:cassandra-tags and made
// each append (one Paxos round) longer: the query's p99 delay went from under 1 s to 3.3 s.
const LOG_BATCH_LIMITS = { maxEntries: 500, maxBytes: 256 * 1024 } as const;

// Log key of the persistence-id log in `tag_blocks` (a tag is never empty: `check` refuses it).
const ID_LOG_KEY = '';
const NO_KEYS: ReadonlySet<string> = new Set();

// Cassandra bigint holds it; replay and delete bounds of Infinity become this.
const MAX_SEQUENCE_NR = Number.MAX_SAFE_INTEGER;

/**
 * The journal on Apache Cassandra. Events of a persistence id are spread over Cassandra
 * partitions `(persistence_id, partition_nr)` of `targetPartitionSize` events, clustered
 * by `sequence_nr`; each atomic write is one single-partition conditional statement (a
 * lightweight transaction; a batch when it has several events), so it is stored all or
 * nothing without the batch log, and never over a stored event.
 *
 * - Single writer: a write reusing a stored sequence number is refused with
 *   `SequenceNumberTakenError`; after `claimWriter(id, uuid)` every write of the id by
 *   another writer uuid is refused with `WriterFencedError` (nothing stored either way).
 *   See `internal/fenced-writer.ts` and the README for the protocol and its races.
 *   `unsafeUnconditionalWrites` turns both off for plain inserts.
 * - Recovery reads the `deleted_to` mark, then partition after partition, in pages of
 *   `replayPageSize` rows with one page read ahead.
 * - The highest sequence number is found with one `ORDER BY sequence_nr DESC LIMIT 1`
 *   query per partition from the `deleted_to` mark (or the caller's hint) on: never a scan.
 * - `deleteMessagesTo` raises the `deleted_to` mark, then removes the rows with one range
 *   tombstone per partition.
 * - `eventTable()` reads every event of every id across token ranges in parallel
 *   (see `EventTableOptions` for the ordering contract); `persistenceIds()` lists the ids.
 *
 * - `currentEventsByTag` and `currentPersistenceIds` read two ordered logs (`tag_log`,
 *   `persistence_id_log`) the journal appends to after a write's events are stored and before
 *   it acknowledges the write; offsets are gap-free positions taken by conditional batches,
 *   so a query resumed from an offset never steps over an entry that becomes visible later.
 *   A recovery appends the entries of a last write that lacks them (see `internal/tag-repair.ts`).
 * `subscribe` announces writes made through this instance only.
 *
 * @example
 * const journal = new CassandraJournal({ contactPoints: ['127.0.0.1:9042'], localDataCenter: 'dc1' });
 * Persistence.configure(system, { journals: { default: journal } });
 */
export class CassandraJournal implements Journal {
  readonly capabilities: JournalCapabilities = { persistenceIdsQuery: true, eventsByTagQuery: true, changeNotifications: true };
  /** The options in force, defaults applied. */
  readonly options: ResolvedCassandraJournalOptions;
  /** The CQL the journal runs (for operators and tests). */
  readonly statements: JournalStatements;
  private readonly session: CassandraSession;
  private readonly listeners = new JournalListeners();
  private readonly readOptions: cassandra.QueryOptions;
  private readonly writeOptions: cassandra.QueryOptions;
  private readonly batchOptions: cassandra.QueryOptions;
  private readonly fencedWriter: FencedWriter;
  private readonly writerStates = new WriterStateCache(WRITER_STATE_CACHE_SIZE);
  private readonly tagAppender: LogAppender;
  private readonly idAppender: LogAppender;

  /** Creates the journal without connecting: the first call connects (see `connect` to fail fast). */
  constructor(options: CassandraJournalOptions) {
    this.options = resolveJournalOptions(options);
    const o = this.options;
    this.statements = new JournalStatements(o);
    this.session = new CassandraSession('CassandraJournal', o, {
      keyspace: o.keyspace,
      tables: [o.messagesTable, o.metadataTable, o.allPersistenceIdsTable, o.tagLogTable, o.persistenceIdLogTable],
      statements: this.statements.schema(o.keyspace, o.replication),
      columns: [
        ...this.statements.staticColumns.map((column) => ({ table: o.messagesTable, name: column.name, add: this.statements.addStaticColumn(o.keyspace, o.messagesTable, column) })),
        ...this.statements.logColumns.map((column) => ({ table: o.messagesTable, name: column.name, add: this.statements.addColumn(o.keyspace, o.messagesTable, column) })),
      ],
    });
    this.readOptions = { prepare: true, consistency: consistencyCode(o.readConsistency) };
    this.writeOptions = { prepare: true, isIdempotent: true, consistency: consistencyCode(o.writeConsistency) };
    this.batchOptions = { ...this.writeOptions, logged: false };
    this.fencedWriter = new FencedWriter({
      session: this.session,
      statements: this.statements,
      cache: this.writerStates,
      targetPartitionSize: o.targetPartitionSize,
      // Not idempotent: the driver must not retry a lightweight transaction that may have applied.
      lwtOptions: { prepare: true, isIdempotent: false, logged: false, consistency: consistencyCode(o.writeConsistency), serialConsistency: serialConsistencyCode(o.serialConsistency) },
      serialReadOptions: { prepare: true, consistency: serialConsistencyCode(o.serialConsistency) },
      highest: (client, pid, hint) => this.highest(client, pid, hint),
      highestRow: (client, pid, partition) => this.highestRow(client, pid, partition),
      deletedTo: (client, pid) => this.readDeletedTo(client, pid),
      eventParams: (pid, partition, event, write) => this.eventParams(pid, partition, event, write),
    });
    const lwtOptions = { prepare: true, isIdempotent: false, logged: false, consistency: consistencyCode(o.writeConsistency), serialConsistency: serialConsistencyCode(o.serialConsistency) };
    const currentFence = (client: Client, pid: string): Promise<string | null> => this.fencedWriter.currentFence(client, pid);
    const serialReadOptions = { prepare: true, consistency: serialConsistencyCode(o.serialConsistency) };
    this.tagAppender = new LogAppender(new OrderedLog(this.session, this.statements.tagLog, o.tagBlockSize, this.readOptions, lwtOptions, serialReadOptions), LOG_BATCH_LIMITS, currentFence);
    this.idAppender = new LogAppender(new OrderedLog(this.session, this.statements.persistenceIdLog, o.tagBlockSize, this.readOptions, lwtOptions, serialReadOptions), LOG_BATCH_LIMITS, currentFence);
  }

  /**
   * Creates the journal and connects at once (and creates the schema when `createSchema`).
   * @throws CassandraUnreachableError naming every `host:port` tried, when no node answers
   * @throws CassandraSchemaError when the tables are missing and cannot be created
   */
  static async connect(options: CassandraJournalOptions): Promise<CassandraJournal> {
    const journal = new CassandraJournal(options);
    try {
      await journal.session.connected();
    } catch (error) {
      await journal.close();
      throw error;
    }
    return journal;
  }

  /** The connected driver client (connecting on first use); for operators' own queries. */
  client(): Promise<Client> {
    return this.session.connected();
  }

  /**
   * Stores each atomic write with its own statement, up to `maxConcurrentWrites` at once,
   * and reports each outcome through `onWritten` as soon as Cassandra answered it: one
   * slow statement then holds back only its own actor, not the whole group commit.
   */
  async writeMessages(writes: readonly AtomicWrite[], onWritten?: WriteReport): Promise<readonly (Error | undefined)[]> {
    const results: (Error | undefined)[] = writes.map((write) => this.check(write));
    const client = await this.session.connected();
    const accepted: number[] = [];
    const refusedHere: Promise<void>[] = [];
    for (let i = 0; i < writes.length; i++) {
      const refusal = results[i];
      if (refusal === undefined) accepted.push(i);
      else if (!this.options.unsafeUnconditionalWrites) refusedHere.push(this.fencedOr(client, writes[i] as AtomicWrite, refusal).then((final) => void (results[i] = final)));
    }
    if (refusedHere.length > 0) await Promise.all(refusedHere);
    // Writes of different ids run in parallel; two of one id (two actors of one id in one
    // system can send them) run in order, so a later one cannot take its numbers first. Once
    // one fails (its events may be stored without log entries), the later ones of the id store
    // nothing: recovery repairs only an id's last write, so the failed one must stay the last.
    const previousOfId = new Map<string, Promise<boolean>>();
    const turns = appendTurns(writes, accepted);
    await forEachLimited(accepted, this.options.maxConcurrentWrites, async (index) => {
      const write = writes[index] as AtomicWrite;
      const previous = previousOfId.get(write.persistenceId);
      const turn = turns.get(index);
      const storing = previous === undefined ? this.store(client, write, turn) : previous.then((ok) => (ok ? this.store(client, write, turn) : this.notStoredAfterFailure(write, turn)));
      previousOfId.set(
        write.persistenceId,
        storing.then(
          () => true,
          () => false,
        ),
      );
      const rejection = await storing;
      if (rejection !== undefined) results[index] = rejection;
      onWritten?.(index, rejection);
    });
    if (accepted.length > 0) this.listeners.notify();
    return results;
  }

  async *replayMessages(persistenceId: string, range: ReplayRange): AsyncIterable<readonly PersistentRepr[]> {
    checkRange(range);
    if (range.max === 0 || range.fromSequenceNr > range.toSequenceNr) return;
    const client = await this.session.connected();
    const deletedTo = await this.readDeletedTo(client, persistenceId);
    const to = Math.min(range.toSequenceNr, MAX_SEQUENCE_NR);
    const pageSize = this.options.replayPageSize;
    const size = this.options.targetPartitionSize;
    let from = Math.max(range.fromSequenceNr, deletedTo + 1);
    let remaining = range.max;
    let partition = partitionNr(from, size);
    let rowsInPartition = 0;
    let foundAny = false;
    let skippedStart = false;
    if (from > to) return;
    let limit = Math.min(pageSize, remaining);
    let pending: Promise<Row[]> | undefined = this.readPage(client, persistenceId, partition, from, to, limit);
    while (pending !== undefined) {
      const rows = await pending;
      pending = undefined;
      if (rows.length === 0) {
        // Invariant 2 (partitioning.ts): an empty partition after events means the end;
        // at the start one empty partition is allowed (a write moved to the next one).
        if (rowsInPartition > 0 || (!foundAny && !skippedStart)) {
          if (rowsInPartition === 0) skippedStart = true;
          partition++;
          rowsInPartition = 0;
          pending = this.readPage(client, persistenceId, partition, from, to, limit);
          continue;
        }
        return;
      }
      const page = rows.map((row) => toRepr(persistenceId, row));
      foundAny = true;
      rowsInPartition += page.length;
      remaining -= page.length;
      from = (page[page.length - 1] as PersistentRepr).sequenceNr + 1;
      if (remaining > 0 && from <= to) {
        // Read one page ahead while the consumer works on this one.
        if (rows.length < limit) {
          partition++;
          rowsInPartition = 0;
        }
        limit = Math.min(pageSize, remaining);
        pending = this.readPage(client, persistenceId, partition, from, to, limit);
        // Settled later, or dropped when the consumer stops early: never unhandled.
        pending.catch(() => undefined);
      }
      yield page;
    }
  }

  /**
   * Makes `writerUuid` the only writer of the id: once this resolves, every write of the id
   * whose events carry another writer uuid is refused with `WriterFencedError`, until another
   * writer claims. Costs two lightweight transactions and two highest-number reads, and
   * answers the recovery's `readHighestSequenceNr` that follows it; see the README.
   * With `unsafeUnconditionalWrites` it does nothing.
   */
  async claimWriter(persistenceId: string, writerUuid: string): Promise<void> {
    if (this.options.unsafeUnconditionalWrites) return;
    const client = await this.session.connected();
    await this.fencedWriter.claim(client, persistenceId, writerUuid);
  }

  async readHighestSequenceNr(persistenceId: string, fromSequenceNr: number): Promise<number> {
    // Recovery reads the highest right after its claim. The claim's own final read is still
    // the highest then: once a claim resolved only the claimant may add events, and it has
    // not written yet (the next write clears the value); a newer claim would fence it anyway.
    const state = this.writerStates.get(persistenceId);
    const client = await this.session.connected();
    let highest: number;
    if (state?.highestAtClaim !== undefined && fromSequenceNr - 1 <= state.highestAtClaim) {
      this.writerStates.set(persistenceId, { fence: state.fence, partition: state.partition });
      highest = state.highestAtClaim;
    } else {
      if (state?.highestAtClaim !== undefined) this.writerStates.set(persistenceId, { fence: state.fence, partition: state.partition });
      highest = await this.highest(client, persistenceId, fromSequenceNr);
    }
    // Recovery reads the highest before the id's next write: the last write's log entries go in first.
    await this.repairLogs(client, persistenceId, highest);
    return highest;
  }

  /**
   * Events tagged `tag` after `afterOffset`, ascending, from the tag log: offsets are
   * `block * 2^20 + position` (`tagOffset`), positions gap-free, and the read stops at the
   * first position not visible yet, so an event stored later always gets a higher offset
   * than any returned before.
   */
  async currentEventsByTag(tag: string, afterOffset: number, limit: number): Promise<readonly OrderedRepr[]> {
    checkQuery(afterOffset, limit);
    if (tag === '' || limit === 0) return [];
    const client = await this.session.connected();
    const entries = await this.tagAppender.log.read(client, tag, afterOffset, limit);
    return entries.map(({ offset, row }) => ({ offset, repr: toRepr(String(row['persistence_id']), row) }));
  }

  /** Persistence ids in order of first write after `afterOffset`, from the persistence-id log (offsets as `currentEventsByTag`'s). */
  async currentPersistenceIds(afterOffset: number, limit: number): Promise<readonly OrderedPersistenceId[]> {
    checkQuery(afterOffset, limit);
    if (limit === 0) return [];
    const client = await this.session.connected();
    const entries = await this.idAppender.log.read(client, ID_LOG_KEY, afterOffset, limit);
    return entries.map(({ offset, row }) => ({ offset, persistenceId: String(row['persistence_id']) }));
  }

  async deleteMessagesTo(persistenceId: string, toSequenceNr: number): Promise<void> {
    if (!(toSequenceNr === Infinity || Number.isInteger(toSequenceNr))) throw new RangeError(`deleteMessagesTo: toSequenceNr must be an integer or Infinity, got ${toSequenceNr}`);
    const client = await this.session.connected();
    const deletedTo = await this.readDeletedTo(client, persistenceId);
    const highest = await this.highest(client, persistenceId, deletedTo + 1);
    const target = Math.min(toSequenceNr, highest);
    if (target <= deletedTo) return;
    // The mark first: replay never shows events at or below it, even if a range delete
    // below fails half way (the next delete call removes what is left).
    await this.session.execute(client, this.statements.updateDeletedTo, [this.session.long(target), persistenceId], this.writeOptions);
    const size = this.options.targetPartitionSize;
    // Events up to `target` live in partitions up to partitionNr(target) + 1 (invariant 1).
    const partitions: number[] = [];
    for (let p = partitionNr(Math.max(deletedTo, 1), size); p <= partitionNr(target, size) + 1; p++) partitions.push(p);
    await forEachLimited(partitions, this.options.maxConcurrentWrites, async (p) => {
      await this.session.execute(client, this.statements.deleteEventsTo, [persistenceId, this.session.long(p), this.session.long(target)], this.writeOptions);
    });
  }

  /**
   * Every event of every persistence id, read across token ranges in parallel: the
   * akka-analytics `eventTable()` for Node. See `EventTableOptions` for the ordering
   * contract (ascending within each persistence id and partition, nothing more).
   */
  eventTable(options: EventTableOptions = {}): AsyncIterable<EventTableRow> {
    return scanEventTable(
      () => this.session.connected(),
      (client, query, params, options) => this.session.execute(client, query, params, options),
      this.statements,
      this.options.readConsistency,
      options,
    );
  }

  /**
   * Every persistence id ever written (from `all_persistence_ids`), each once, in no
   * particular order; read lazily, `pageSize` ids per query.
   * @throws RangeError at once when `pageSize` is not a positive integer
   */
  persistenceIds(pageSize = 1000): AsyncIterable<string> {
    if (!(Number.isInteger(pageSize) && pageSize > 0)) throw new RangeError(`persistenceIds: pageSize must be a positive integer, got ${pageSize}`);
    return this.readPersistenceIds(pageSize);
  }

  private async *readPersistenceIds(pageSize: number): AsyncGenerator<string> {
    const client = await this.session.connected();
    let pageState: string | undefined;
    do {
      const options: cassandra.QueryOptions = { ...this.readOptions, fetchSize: pageSize };
      if (pageState !== undefined) options.pageState = pageState;
      const result = await this.session.execute(client, this.statements.selectPersistenceIds, [], options);
      for (const row of result.rows) yield String(row['persistence_id']);
      pageState = result.pageState ?? undefined;
    } while (pageState !== undefined && pageState !== null);
  }

  subscribe(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  /** Closes the driver client (unless it was given in `options.client`). */
  close(): Promise<void> {
    return this.session.close();
  }

  // ---- writes ---------------------------------------------------------------------

  /** A write refused before any statement is still refused as fenced when another writer holds the id (fenced wins; rare path). */
  private async fencedOr(client: Client, write: AtomicWrite, refusal: Error): Promise<Error> {
    const writer = (write.events[0] as PersistentRepr).writerUuid;
    const fence = await this.fencedWriter.currentFence(client, write.persistenceId);
    return fence !== null && fence !== writer ? new WriterFencedError(write.persistenceId, writer) : refusal;
  }

  private check(write: AtomicWrite): Error | undefined {
    const events = write.events;
    const from = (events[0] as PersistentRepr).sequenceNr;
    const to = (events[events.length - 1] as PersistentRepr).sequenceNr;
    if (exceedsPartition(from, to, this.options.targetPartitionSize)) {
      return new CassandraWriteRejectedError(
        `an atomic write of ${events.length} events for "${write.persistenceId}" exceeds targetPartitionSize (${this.options.targetPartitionSize}); one write must fit one partition`,
      );
    }
    let bytes = 0;
    for (const event of events) {
      if (event.tags.includes('')) return new CassandraWriteRejectedError(`event ${event.sequenceNr} of "${write.persistenceId}" has an empty tag; tags must be non-empty strings`);
      if (event.payload.byteLength > this.options.maxPayloadBytes) {
        return new CassandraWriteRejectedError(
          `payload of event ${event.sequenceNr} of "${write.persistenceId}" has ${event.payload.byteLength} bytes; maxPayloadBytes is ${this.options.maxPayloadBytes}`,
        );
      }
      bytes += event.payload.byteLength;
    }
    const perTag = new Map<string, number>();
    for (const event of events) for (const tag of event.tags) perTag.set(tag, (perTag.get(tag) ?? 0) + 1);
    for (const [tag, count] of perTag) {
      if (count > this.options.tagBlockSize)
        return new CassandraWriteRejectedError(`an atomic write for "${write.persistenceId}" has ${count} events tagged "${tag}"; tagBlockSize is ${this.options.tagBlockSize}`);
    }
    if (bytes > this.options.maxWriteBytes) {
      return new CassandraWriteRejectedError(`an atomic write for "${write.persistenceId}" has ${bytes} payload bytes; maxWriteBytes is ${this.options.maxWriteBytes}`);
    }
    return undefined;
  }

  /** Stores one atomic write; resolves with a rejection when refused (taken, fenced, invalid), nothing stored. */
  private async store(client: Client, write: AtomicWrite, turns?: ReadonlyMap<string, AppendTurn>): Promise<Error | undefined> {
    const pid = write.persistenceId;
    const first = write.events[0] as PersistentRepr;
    const registering = first.sequenceNr === 1 ? this.session.execute(client, this.statements.insertPersistenceId, [pid], this.writeOptions) : undefined;
    try {
      const columns = await this.logColumns(client, write);
      const rejection = this.options.unsafeUnconditionalWrites ? await this.storeUnconditionally(client, write, columns) : await this.fencedWriter.store(client, write, columns);
      await registering;
      // Stored: the log entries go in before the write is acknowledged (a refused write has none).
      if (rejection === undefined && columns !== undefined) await this.appendLogs(client, write, columns, turns);
      return rejection;
    } catch (error) {
      await registering?.catch(() => undefined);
      // Invalid (e.g. a mutation above the server's limit): nothing was stored.
      if ((error as { code?: number }).code === cassandra.types.responseErrorCodes.invalid) {
        return new CassandraWriteRejectedError(`Cassandra refused the write for "${pid}": ${describeDriverError(error)}`);
      }
      throw error;
    } finally {
      // A write that appends nothing (refused, failed) must not hold back the later writes of its call.
      if (turns !== undefined) for (const turn of turns.values()) turn.done();
    }
  }

  /** Fails a write, storing nothing, because an earlier write of its id in the same call failed. */
  private notStoredAfterFailure(write: AtomicWrite, turns: ReadonlyMap<string, AppendTurn> | undefined): Promise<never> {
    // It appends nothing: the later writes of its call must not wait for it.
    if (turns !== undefined) for (const turn of turns.values()) turn.done();
    const first = (write.events[0] as PersistentRepr).sequenceNr;
    const last = (write.events[write.events.length - 1] as PersistentRepr).sequenceNr;
    return Promise.reject(new CassandraWriteRejectedError(`the write of ${first}..${last} of "${write.persistenceId}" was not stored: an earlier write of the id in the same call failed`));
  }

  /** The log columns of a write with log entries (tagged events, or the id's first write); undefined for the others. */
  private async logColumns(client: Client, write: AtomicWrite): Promise<WriteColumns | undefined> {
    const first = write.events[0] as PersistentRepr;
    const keys = logKeys(write);
    if (keys.size === 0) return undefined;
    const tagBlocks = new Map<string, number>();
    await Promise.all(
      [...keys].map(async (key) => {
        const appender = key === ID_LOG_KEY ? this.idAppender : this.tagAppender;
        tagBlocks.set(key, await appender.currentBlock(client, key));
      }),
    );
    return { writeFrom: first.sequenceNr, tagBlocks };
  }

  /** Appends a stored write's entries to the logs its columns name. */
  private async appendLogs(client: Client, write: AtomicWrite, columns: WriteColumns, turns: ReadonlyMap<string, AppendTurn> | undefined): Promise<void> {
    const first = write.events[0] as PersistentRepr;
    const lastSequenceNr = (write.events[write.events.length - 1] as PersistentRepr).sequenceNr;
    await Promise.all(
      [...columns.tagBlocks].map(async ([key, recordedBlock]) => {
        const appender = key === ID_LOG_KEY ? this.idAppender : this.tagAppender;
        const entries = key === ID_LOG_KEY ? [idEntry(first)] : write.events.filter((event) => event.tags.includes(key)).map(eventEntry);
        const turn = turns?.get(key);
        await turn?.previous;
        const appending = appender.append(client, key, {
          entries,
          persistenceId: write.persistenceId,
          lastSequenceNr,
          bytes: entryBytes(entries),
          live: { recordedBlock, writerUuid: first.writerUuid },
        });
        turn?.done();
        await appending;
      }),
    );
  }

  /** Appends the log entries of the id's last write when they are missing (see `internal/tag-repair.ts`). */
  private async repairLogs(client: Client, pid: string, highest: number): Promise<void> {
    if (highest === 0) return;
    const size = this.options.targetPartitionSize;
    // A write is stored whole in the partition of its last event, or the next after a redirect.
    for (const partition of [partitionNr(highest, size), partitionNr(highest, size) + 1]) {
      const long = this.session.long;
      const end = (await this.session.execute(client, this.statements.selectWriteEnd, [pid, long(partition), long(highest)], this.readOptions)).first();
      if (end === null || end === undefined) continue;
      const blocks = end['tag_blocks'] as Record<string, unknown> | Map<string, unknown> | null;
      if (blocks === null || blocks === undefined) return;
      const writeFrom = toNumber(end['write_from']);
      const tagBlocks = new Map<string, number>(Object.entries(blocks instanceof Map ? Object.fromEntries(blocks) : blocks).map(([key, value]) => [key, toNumber(value)]));
      const rows = writeFrom === highest ? [end] : await this.readPage(client, pid, partition, writeFrom, highest, highest - writeFrom + 1);
      const events = rows.map((row) => toRepr(pid, row));
      if (events.length !== highest - writeFrom + 1) return; // deleted meanwhile: nothing left to list
      await repairLastWrite(client, pid, { events, tagBlocks }, this.tagAppender, this.idAppender);
      return;
    }
  }

  /** `unsafeUnconditionalWrites`: plain inserts, overwriting whatever holds the same numbers. */
  private async storeUnconditionally(client: Client, write: AtomicWrite, columns: WriteColumns | undefined): Promise<undefined> {
    const events = write.events;
    const first = events[0] as PersistentRepr;
    const last = events[events.length - 1] as PersistentRepr;
    const partition = this.session.long(partitionOfWrite(first.sequenceNr, last.sequenceNr, this.options.targetPartitionSize));
    const pid = write.persistenceId;
    if (events.length === 1) {
      await this.session.execute(client, this.statements.insertEvent, this.eventParams(pid, partition, first, columns), this.writeOptions);
    } else {
      const queries = events.map((event) => ({ query: this.statements.insertEvent, params: this.eventParams(pid, partition, event, columns) }));
      await this.session.batch(client, queries, this.batchOptions);
    }
    return undefined;
  }

  private eventParams(pid: string, partition: number | string, event: PersistentRepr, write: WriteColumns | undefined): unknown[] {
    return [
      pid,
      partition,
      this.session.long(event.sequenceNr),
      this.session.long(event.timestamp),
      event.writerUuid,
      event.serializerId,
      event.manifest,
      event.eventManifest,
      toBuffer(event.payload),
      // undefined is "unset": no tombstone for an event without tags.
      event.tags.length === 0 ? undefined : event.tags,
      // Unset (no cell) for writes without log entries.
      write === undefined ? undefined : this.session.long(write.writeFrom),
      write === undefined ? undefined : Object.fromEntries([...write.tagBlocks].map(([key, block]) => [key, this.session.long(block)])),
    ];
  }

  // ---- reads ----------------------------------------------------------------------

  private async readPage(client: Client, pid: string, partition: number, from: number, to: number, limit: number): Promise<Row[]> {
    const long = this.session.long;
    const result = await this.session.execute(client, this.statements.selectEvents, [pid, long(partition), long(from), long(to), limit], { ...this.readOptions, fetchSize: limit });
    return result.rows;
  }

  private async readDeletedTo(client: Client, pid: string): Promise<number> {
    const result = await this.session.execute(client, this.statements.selectDeletedTo, [pid], this.readOptions);
    const row = result.first();
    return row === null || row === undefined ? 0 : toNumber(row['deleted_to']);
  }

  private async highest(client: Client, pid: string, hint: number): Promise<number> {
    const deletedTo = await this.readDeletedTo(client, pid);
    const size = this.options.targetPartitionSize;
    const floor = Math.max(deletedTo, 1);
    // The hint is the caller's last known number + 1: the highest is at least hint - 1.
    const hinted = Number.isSafeInteger(hint) ? Math.max(floor, hint - 1) : floor;
    let found = await this.scanHighest(client, pid, partitionNr(hinted, size));
    // A hint above everything stored would skip the real highest: look again from the mark.
    if (found === 0 && partitionNr(hinted, size) > partitionNr(floor, size)) found = await this.scanHighest(client, pid, partitionNr(floor, size));
    return Math.max(found, deletedTo);
  }

  /** Highest event row of one partition; null when it has none (a partition holding only its static columns has none). */
  private async highestRow(client: Client, pid: string, partition: number): Promise<number | null> {
    const result = await this.session.execute(client, this.statements.selectHighest, [pid, this.session.long(partition)], this.readOptions);
    const value = result.first()?.['sequence_nr'];
    return value === null || value === undefined ? null : toNumber(value);
  }

  /** Highest number stored in partitions from `partition` on; 0 when none (invariant 2). */
  private async scanHighest(client: Client, pid: string, partition: number): Promise<number> {
    let highest = 0;
    let skipped = false;
    for (let p = partition; ; p++) {
      const row = await this.highestRow(client, pid, p);
      if (row !== null) {
        highest = row;
        continue;
      }
      if (highest === 0 && !skipped) {
        skipped = true;
        continue;
      }
      return highest;
    }
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The logs a write has entries in: each tag of its events, and the persistence-id log for an id's first write. */
function logKeys(write: AtomicWrite): ReadonlySet<string> {
  // The usual write (untagged, not the first) allocates nothing here: this runs on every write.
  if ((write.events[0] as PersistentRepr).sequenceNr !== 1 && write.events.every((event) => event.tags.length === 0)) return NO_KEYS;
  const keys = new Set<string>();
  if ((write.events[0] as PersistentRepr).sequenceNr === 1) keys.add(ID_LOG_KEY);
  for (const event of write.events) for (const tag of event.tags) keys.add(tag);
  return keys;
}

/** A write's place in its call's order of appends to one log: wait for `previous`, call `done` once queued (or when nothing will be). */
interface AppendTurn {
  readonly previous: Promise<void>;
  readonly done: () => void;
}

/**
 * Appends of one call reach each log in the order of the call's writes (the SPI stores the
 * writes of a call in the order given, and the tag query lists them so), although their
 * `messages` writes run concurrently and finish in any order. Only writes sharing a log
 * wait for each other, and only until the earlier one is queued, not appended.
 */
function appendTurns(writes: readonly AtomicWrite[], accepted: readonly number[]): Map<number, Map<string, AppendTurn>> {
  const last = new Map<string, Promise<void>>();
  const turns = new Map<number, Map<string, AppendTurn>>();
  for (const index of accepted) {
    const keys = logKeys(writes[index] as AtomicWrite);
    if (keys.size === 0) continue;
    const mine = new Map<string, AppendTurn>();
    for (const key of keys) {
      const { promise, resolve } = Promise.withResolvers<void>();
      mine.set(key, { previous: last.get(key) ?? Promise.resolve(), done: resolve });
      last.set(key, promise);
    }
    turns.set(index, mine);
  }
  return turns;
}

function checkQuery(afterOffset: number, limit: number): void {
  if (!(Number.isSafeInteger(afterOffset) && afterOffset >= 0)) throw new RangeError(`query: afterOffset must be an integer >= 0, got ${afterOffset}`);
  if (!(Number.isInteger(limit) && limit >= 0)) throw new RangeError(`query: limit must be an integer >= 0, got ${limit}`);
}

// @troupe/persistence checks ranges with a helper it does not export; the same checks here.
function checkRange(range: ReplayRange): void {
  if (!(Number.isInteger(range.fromSequenceNr) && range.fromSequenceNr >= 1)) throw new RangeError(`replay: fromSequenceNr must be an integer >= 1, got ${range.fromSequenceNr}`);
  if (!(range.toSequenceNr === Infinity || (Number.isInteger(range.toSequenceNr) && range.toSequenceNr >= 0)))
    throw new RangeError(`replay: toSequenceNr must be an integer >= 0 or Infinity, got ${range.toSequenceNr}`);
  if (!(range.max === Infinity || (Number.isInteger(range.max) && range.max >= 0))) throw new RangeError(`replay: max must be an integer >= 0 or Infinity, got ${range.max}`);
}
