/**
 * The single-writer protocol of the Cassandra journal: every atomic write is one
 * lightweight transaction (Paxos) on its partition, conditional on three static columns
 * of that partition, so two writers of one persistence id can never both be acknowledged
 * for one sequence number, and a claimed id accepts only its claimant's writes.
 *
 * Per partition `(persistence_id, partition_nr)`:
 * - `high`: the highest sequence number a write stored here. A write of `n..m` applies only
 *   `IF high = <what it expects, below n>`, and sets `high = m`. Rows are never overwritten:
 *   a taken number fails the condition (`SequenceNumberTakenError`), deleted rows included
 *   (`high` is static: range deletes of rows leave it).
 * - `sealed`: set, conditionally on `high`, by the write that opens the next partition
 *   (its events move there whole, see partitioning.ts). A sealed partition takes no more
 *   events, so a number can never be stored both here and in the next partition: without
 *   it, a write `n..m` into partition p + 1 could not see an `n` another writer stored in p.
 * - `fence`: the writer uuid that claimed the id (`claimWriter`), null when never claimed.
 *   Every write also applies only `IF fence = <the fence it expects>`, and a fence that names
 *   another writer refuses it (`WriterFencedError`). The fence moves forward with the
 *   history: the write that opens a partition copies it from the partition it seals.
 *
 * - `claim_epoch`: orders claims. Writes copy it with the fence and never condition on it.
 *
 * A claim (at the start of every recovery) reads the highest number `h`, sets the fence of
 * the partitions `partitionNr(h + 1)` and the one after (every write starting at `h + 1`
 * lands in one of them), and reads `h` again; when new events moved the next write's
 * partition meanwhile, it claims again there. Writes further on must first seal one of
 * those two partitions, whose fence refuses them. The first partition takes every claim
 * with its epoch raised by one (compare-and-set), the second only a claim of a higher epoch
 * than it holds, so two claims at once leave one winner of both. The README walks through
 * the races.
 *
 * On a failed condition Cassandra returns the current static values: the writer then
 * knows whether the write is refused (taken, fenced) or only guessed the state wrong
 * (a gap in the numbers, a partition created before fencing, a partition sealed by a
 * writer that crashed before writing the next one) and retries with the real values.
 */
import { type AtomicWrite, type PersistentRepr, SequenceNumberTakenError, WriterFencedError } from '@troupe/persistence';
import type cassandra from 'cassandra-driver';
import { CassandraContendedError, CassandraWriteRejectedError } from '../errors.js';
import type { JournalStatements } from '../journal-statements.js';
import { partitionNr } from '../partitioning.js';
import { type CassandraSession, toNumber } from './cassandra-session.js';
import type { WriterStateCache } from './writer-state-cache.js';

type Client = cassandra.Client;

/** The static columns of one partition, as a failed condition returned them. */
interface PartitionState {
  readonly high: number | null;
  readonly sealed: boolean;
  readonly fence: string | null;
  /** Only when the statement conditioned on it (seals, claims). */
  readonly epoch: number | null;
}

/** The columns every row of one write carries for the ordered logs (`write_from`, `tag_blocks`). */
export interface WriteColumns {
  readonly writeFrom: number;
  readonly tagBlocks: ReadonlyMap<string, number>;
}

/** How many conditions may guess wrong before a write gives up (as a failure, not a rejection). */
const MAX_ATTEMPTS = 8;
/** How many times a claim follows a moving history before it gives up. */
const MAX_CLAIM_ROUNDS = 10;

/** Collaborators the writer needs from the journal. */
export interface FencedWriterContext {
  readonly session: CassandraSession;
  readonly statements: JournalStatements;
  readonly cache: WriterStateCache;
  readonly targetPartitionSize: number;
  /** Options of every lightweight transaction: not idempotent (a retried LWT that applied would look refused). */
  readonly lwtOptions: cassandra.QueryOptions;
  /** Options of reads that must see every committed lightweight transaction (consistency SERIAL). */
  readonly serialReadOptions: cassandra.QueryOptions;
  /** Highest sequence number of the id from the `fromSequenceNr` hint on (the journal's reader). */
  readonly highest: (client: Client, persistenceId: string, hint: number) => Promise<number>;
  /** Highest row of one partition, null when it has none. */
  readonly highestRow: (client: Client, persistenceId: string, partition: number) => Promise<number | null>;
  /** The `deleted_to` mark of the id. */
  readonly deletedTo: (client: Client, persistenceId: string) => Promise<number>;
  /** Bound parameters of one event row, in `insertEvent` order; `write` carries the write's log columns. */
  readonly eventParams: (persistenceId: string, partition: number | string, event: PersistentRepr, write: WriteColumns | undefined) => unknown[];
}

/** Stores atomic writes with the single-writer conditions and claims ids; see the file comment. */
export class FencedWriter {
  constructor(private readonly ctx: FencedWriterContext) {}

  /**
   * Stores one atomic write; resolves with the rejection (`SequenceNumberTakenError`,
   * `WriterFencedError`, `CassandraWriteRejectedError`) when refused, nothing stored;
   * rejects when Cassandra failed (the outcome is then unknown).
   */
  async store(client: Client, write: AtomicWrite, columns?: WriteColumns): Promise<Error | undefined> {
    const { cache, targetPartitionSize: size } = this.ctx;
    const pid = write.persistenceId;
    const events = write.events;
    const n = (events[0] as PersistentRepr).sequenceNr;
    const m = (events[events.length - 1] as PersistentRepr).sequenceNr;
    const writer = (events[0] as PersistentRepr).writerUuid;
    const cached = cache.get(pid);
    let target = partitionNr(m, size);
    // An earlier write of this instance went on in the next partition (see `sealed` below).
    if (cached?.partition === target + 1 && partitionNr(n, size) === target) target++;
    // The fence a write conditions on is only ever null (never claimed) or its own writer:
    // the condition is what refuses every other writer.
    let fence: string | null = cached?.fence === writer ? writer : null;
    // The single writer's usual case: the previous number is stored in the same partition.
    let expectedHigh: number | null = n > 1 && (partitionNr(n - 1, size) === target || cached?.partition === target) ? n - 1 : null;
    let carry: string | undefined;
    // The claim epoch copied with the fence into a partition the write opens.
    let carryEpoch: number | undefined;
    let predecessorSealed = false;
    // Set when the write may only go in under this writer's own claim of the target partition.
    let claimedTarget = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (expectedHigh === null && target > 0 && !predecessorSealed) {
        // Opening a partition: close the one before it first, and carry its fence forward.
        const sealed = await this.seal(client, pid, target - 1, target, n, writer, fence);
        if (sealed instanceof Error) return sealed;
        predecessorSealed = true;
        if (sealed.claimedTarget) {
          // The partition before is an older writer's; this one was claimed by this writer.
          claimedTarget = true;
          fence = writer;
          carry = undefined;
          carryEpoch = undefined;
        } else {
          carry = sealed.fence ?? undefined;
          carryEpoch = sealed.epoch ?? undefined;
          fence = null;
        }
      }
      const state = await this.conditionalWrite(client, pid, target, events, m, expectedHigh, fence, carry, carryEpoch, columns);
      if (state === undefined) {
        cache.set(pid, { fence: carry ?? fence, partition: target === partitionNr(m, size) ? undefined : target });
        return undefined;
      }
      if ((state.fence !== null && state.fence !== writer) || (claimedTarget && state.fence !== writer)) {
        cache.set(pid, { fence: state.fence, partition: cached?.partition });
        return new WriterFencedError(pid, writer);
      }
      if (state.high !== null && state.high >= n) return new SequenceNumberTakenError(pid, n, await this.highestFor(client, pid, state.high));
      if (state.sealed) {
        // Closed by a write that opened the next partition. What follows its numbers goes on
        // there, unless the write does not start in this partition (then something above it
        // is stored: the next partition holds numbers beyond this one's).
        if (target !== partitionNr(n, size)) return new SequenceNumberTakenError(pid, n, await this.highestFor(client, pid, n));
        const closed = await this.fenceOf(client, pid, target);
        // Claimed by another writer since the condition failed: its fence must not be copied under this write.
        if (closed.fence !== null && closed.fence !== writer) return new WriterFencedError(pid, writer);
        target++;
        expectedHigh = null;
        predecessorSealed = true;
        carry = closed.fence ?? undefined;
        carryEpoch = closed.epoch ?? undefined;
        fence = null;
        continue;
      }
      if (expectedHigh === null && state.high === null && state.fence === fence) {
        // Every static condition held, so a row condition failed (IF NOT EXISTS): a partition
        // written before fencing holds one of these numbers.
        return new SequenceNumberTakenError(pid, n, await this.highestFor(client, pid, n));
      }
      // Guessed wrong (a gap before n, the fence already ours, a partition written before
      // fencing): condition on what is there. The checks above refused everything else.
      if (expectedHigh !== null && state.high === null) {
        // Nothing written here with fencing: rows of an older version, or an empty partition to open.
        const rows = await this.ctx.highestRow(client, pid, target);
        if (rows !== null && rows >= n) return new SequenceNumberTakenError(pid, n, await this.highestFor(client, pid, rows));
      }
      expectedHigh = state.high;
      fence = state.fence;
      if (fence !== null) {
        carry = undefined;
        carryEpoch = undefined;
      }
    }
    throw new CassandraContendedError(pid, `the write of ${n}..${m}`, MAX_ATTEMPTS);
  }

  /**
   * Makes `writer` the only accepted writer of the id from its next write on; see the file
   * comment. Resolves once no write of another writer can be acknowledged any more.
   * @throws CassandraContendedError when the history keeps moving to new partitions
   */
  async claim(client: Client, pid: string, writer: string): Promise<void> {
    const size = this.ctx.targetPartitionSize;
    let highest = await this.ctx.highest(client, pid, 1);
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      const partition = partitionNr(highest + 1, size);
      // The partition of the next number takes the claim unconditionally, with an epoch above
      // the one it held; the next partition only when its epoch is lower. Of two claims at
      // once, the later in the first partition then wins both: never one partition each.
      const epoch = await this.claimPartition(client, pid, partition, writer, undefined);
      await this.claimPartition(client, pid, partition + 1, writer, epoch);
      // A write that landed before a claim above may have moved the next write's partition.
      const again = await this.ctx.highest(client, pid, highest + 1);
      if (partitionNr(again + 1, size) === partition) {
        this.ctx.cache.set(pid, { fence: writer, partition: undefined, highestAtClaim: again });
        return;
      }
      highest = again;
    }
    throw new CassandraContendedError(pid, 'claimWriter (the history kept moving to new partitions)', MAX_CLAIM_ROUNDS);
  }

  /**
   * Sets the fence of one partition by compare-and-set on its `claim_epoch`: with `epoch`
   * undefined, always, to one above the epoch found (resolves with it); with an `epoch`,
   * only while the partition's epoch is below it (a newer claim keeps the partition).
   */
  private async claimPartition(client: Client, pid: string, partition: number, writer: string, epoch: number | undefined): Promise<number> {
    const { session, statements, lwtOptions } = this.ctx;
    let found: number | null = null;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const next = epoch ?? (found ?? 0) + 1;
      const params = [writer, session.long(next), pid, session.long(partition), found === null ? null : session.long(found)];
      const state = stateOf(await session.execute(client, statements.claim, params, lwtOptions));
      if (state === undefined) return next;
      found = state.epoch;
      if (epoch !== undefined && found !== null && found >= epoch) return epoch;
    }
    throw new CassandraContendedError(pid, `claiming partition ${partition}`, MAX_ATTEMPTS);
  }

  /**
   * Seals `partition`, the one before the partition `target` a write opens. Only a writer
   * the partition accepts (its fence is null or this writer) may seal it, or the writer whose
   * claim is on `target` (a claim covers the partition of the next number and the one after,
   * so the newest writer may have to close a partition an older one claimed). Resolves with
   * the sealed partition's fence and whether the target's claim authorised it, or the rejection.
   */
  private async seal(
    client: Client,
    pid: string,
    partition: number,
    target: number,
    n: number,
    writer: string,
    guessedFence: string | null,
  ): Promise<Error | { fence: string | null; epoch: number | null; claimedTarget: boolean }> {
    const { session, statements, lwtOptions, targetPartitionSize: size } = this.ctx;
    let expectedHigh: number | null = n - 1;
    let fence = guessedFence;
    // Conditioned on only to learn it (a failed condition returns it): the write copies it.
    let epoch: number | null = null;
    let legacyHigh: number | undefined;
    let claimedTarget = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const params = [
        legacyHigh === undefined ? undefined : session.long(legacyHigh),
        pid,
        session.long(partition),
        expectedHigh === null ? null : session.long(expectedHigh),
        fence,
        epoch === null ? null : session.long(epoch),
      ];
      const state = stateOf(await session.execute(client, statements.seal, params, lwtOptions));
      if (state === undefined) return { fence, epoch, claimedTarget };
      if (state.fence !== null && state.fence !== writer) {
        if ((await this.fenceOf(client, pid, target)).fence !== writer) return new WriterFencedError(pid, writer);
        claimedTarget = true;
      }
      if (state.high !== null && state.high >= n) return new SequenceNumberTakenError(pid, n, await this.highestFor(client, pid, state.high));
      // Sealed before by a writer that crashed before writing the next partition (or by this one).
      if (state.sealed) return { fence: state.fence, epoch: state.epoch, claimedTarget };
      legacyHigh = undefined;
      if (state.high === null) {
        // Rows of an older version (no `high`), rows all deleted, or nothing at all.
        const rows = await this.ctx.highestRow(client, pid, partition);
        if (rows !== null && rows >= n) return new SequenceNumberTakenError(pid, n, await this.highestFor(client, pid, rows));
        if (rows === null && (await this.ctx.deletedTo(client, pid)) < partition * size + 1) {
          return new CassandraWriteRejectedError(
            `a write of "${pid}" starting at ${n} would leave partition ${partition} empty: sequence numbers must follow the highest stored (is the write far ahead of its history?)`,
          );
        }
        // Record the old rows' highest, so writes redirected past the sealed partition still see it.
        if (rows !== null) legacyHigh = rows;
      }
      expectedHigh = state.high;
      fence = state.fence;
      epoch = state.epoch;
    }
    throw new CassandraContendedError(pid, `sealing partition ${partition}`, MAX_ATTEMPTS);
  }

  /**
   * The writer the id is fenced to now, or null when it was never claimed: the fence of the
   * partition its next number goes to (a claim fences that one and the one after), else of
   * the partition holding its highest. For refusals made before any statement: a fenced
   * writer is told it is fenced, whatever else is wrong with its write (the SPI contract).
   */
  async currentFence(client: Client, pid: string): Promise<string | null> {
    const highest = await this.ctx.highest(client, pid, 1);
    const next = partitionNr(highest + 1, this.ctx.targetPartitionSize);
    const fence = (await this.fenceOf(client, pid, next)).fence;
    if (fence !== null || next === 0) return fence;
    return (await this.fenceOf(client, pid, next - 1)).fence;
  }

  /** The fence and claim epoch of `partition` (a serial read: it sees every committed claim). */
  private async fenceOf(client: Client, pid: string, partition: number): Promise<{ fence: string | null; epoch: number | null }> {
    const { session, statements } = this.ctx;
    const row = (await session.execute(client, statements.selectFence, [pid, session.long(partition)], this.ctx.serialReadOptions)).first();
    const fence = row?.['fence'];
    const epoch = row?.['claim_epoch'];
    return { fence: typeof fence === 'string' ? fence : null, epoch: epoch === null || epoch === undefined ? null : toNumber(epoch) };
  }

  /** One conditional batch: the static update and the event rows; undefined when applied, else the state found. */
  private async conditionalWrite(
    client: Client,
    pid: string,
    partition: number,
    events: readonly PersistentRepr[],
    m: number,
    expectedHigh: number | null,
    fence: string | null,
    carry: string | undefined,
    carryEpoch: number | undefined,
    columns: WriteColumns | undefined,
  ): Promise<PartitionState | undefined> {
    const { session, statements, lwtOptions } = this.ctx;
    const p = session.long(partition);
    const expected = expectedHigh === null ? null : session.long(expectedHigh);
    const epochParam = carryEpoch === undefined ? undefined : session.long(carryEpoch);
    if (events.length === 1 && expectedHigh !== null) {
      // eventParams: persistence_id, partition_nr, sequence_nr, then the value columns in statement order.
      const [, , sequenceNr, ...values] = this.ctx.eventParams(pid, p, events[0] as PersistentRepr, columns);
      const params = [session.long(m), carry, epochParam, ...values, pid, p, sequenceNr, expected, fence];
      return stateOf(await session.execute(client, statements.writeEventAndHigh, params, lwtOptions));
    }
    // A partition opened now may hold rows of an older version: check each row as well.
    const insert = expectedHigh === null ? statements.insertEventIfNotExists : statements.insertEvent;
    const queries = [
      { query: statements.writeHigh, params: [session.long(m), carry, epochParam, pid, p, expected, fence] },
      ...events.map((event) => ({ query: insert, params: this.ctx.eventParams(pid, p, event, columns) })),
    ];
    const result = await session.batch(client, queries, lwtOptions);
    return stateOf(result);
  }

  /** The highest number for an error message: at least `known`, the stored highest when it can be read. */
  private async highestFor(client: Client, pid: string, known: number): Promise<number> {
    try {
      return Math.max(known, await this.ctx.highest(client, pid, known));
    } catch {
      return known;
    }
  }
}

/** Undefined when the conditional statement applied; else the static values Cassandra returned. */
function stateOf(result: cassandra.types.ResultSet): PartitionState | undefined {
  const rows = result.rows;
  const first = rows[0];
  if (first === undefined || first['[applied]'] === true) return undefined;
  // Every returned row of one partition carries the same static values.
  const high = first['high'];
  const epoch = first['claim_epoch'];
  return {
    high: high === null || high === undefined ? null : toNumber(high),
    sealed: first['sealed'] === true,
    fence: typeof first['fence'] === 'string' ? first['fence'] : null,
    epoch: epoch === null || epoch === undefined ? null : toNumber(epoch),
  };
}
