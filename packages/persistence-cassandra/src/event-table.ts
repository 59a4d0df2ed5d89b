import type { PersistentRepr } from '@troupe/persistence';
import type cassandra from 'cassandra-driver';
import type { ConsistencyName } from './cassandra-options.js';
import { consistencyCode, toNumber } from './internal/cassandra-session.js';
import { PageChannel } from './internal/page-channel.js';
import { toRepr } from './internal/stored-row.js';
import type { JournalStatements } from './journal-statements.js';
import { splitMurmur3Ring } from './token-ranges.js';

/** Where an event is stored: akka-analytics' `JournalKey`. */
export interface JournalKey {
  readonly persistenceId: string;
  /** The Cassandra partition of the persistence id holding the event. */
  readonly partitionNr: number;
  readonly sequenceNr: number;
}

/** One row of `eventTable()`: its key and the stored (still serialised) event. */
export interface EventTableRow {
  readonly key: JournalKey;
  readonly event: PersistentRepr;
}

/**
 * Options of `CassandraJournal.eventTable()`.
 *
 * Ordering contract (the akka-analytics `eventTable()` contract):
 * - Within one `(persistenceId, partitionNr)` rows come in ascending `sequenceNr`, with no
 *   gap except deleted events.
 * - Nothing else is ordered: rows of different persistence ids, and of different partitions
 *   of ONE persistence id, interleave in any order (a later partition may come first). For
 *   per-id order, sort by `(persistenceId, partitionNr, sequenceNr)`, or group by id and sort
 *   by `sequenceNr`.
 * - Each stored event appears exactly once. Events written while the scan runs may or may
 *   not appear; deleted events do not (their rows are gone).
 */
export interface EventTableOptions {
  /** Token ranges read at the same time (one query each). @default 4 */
  readonly parallelism?: number;
  /** How many equal token ranges the ring is cut into; each is read by one worker in order. @default parallelism × 8 */
  readonly splits?: number;
  /** Rows per query page. @default 1000 */
  readonly pageSize?: number;
  /** Consistency of the scan. @default the journal's readConsistency */
  readonly consistency?: ConsistencyName;
  /** Ends the iteration (it returns) when aborted. */
  readonly signal?: AbortSignal;
}

/**
 * The token-range scan behind `CassandraJournal.eventTable()`: `splits` ranges of the
 * Murmur3 ring, read by `parallelism` workers into a bounded buffer (2 pages per worker),
 * so a slow consumer slows the scan instead of filling memory.
 */
export function scanEventTable(
  connect: () => Promise<cassandra.Client>,
  execute: StatementRunner,
  statements: JournalStatements,
  defaultConsistency: ConsistencyName,
  options: EventTableOptions,
): AsyncIterable<EventTableRow> {
  // Misuse throws at the call, not at the first `next()`.
  const parallelism = options.parallelism ?? 4;
  const splitCount = options.splits ?? parallelism * 8;
  const pageSize = options.pageSize ?? 1000;
  if (!(Number.isInteger(parallelism) && parallelism > 0 && parallelism <= 256)) throw new RangeError(`eventTable: parallelism must be an integer in 1..256, got ${parallelism}`);
  if (!(Number.isInteger(splitCount) && splitCount >= parallelism && splitCount <= 1_000_000))
    throw new RangeError(`eventTable: splits must be an integer in parallelism (${parallelism})..1000000, got ${splitCount}`);
  if (!(Number.isInteger(pageSize) && pageSize > 0)) throw new RangeError(`eventTable: pageSize must be a positive integer, got ${pageSize}`);
  return scan(connect, execute, statements, { parallelism, splitCount, pageSize, consistency: options.consistency ?? defaultConsistency, signal: options.signal });
}

interface ScanSettings {
  readonly parallelism: number;
  readonly splitCount: number;
  readonly pageSize: number;
  readonly consistency: ConsistencyName;
  readonly signal: AbortSignal | undefined;
}

/** Runs one statement on the client (through the journal's request gate). */
export type StatementRunner = (client: cassandra.Client, query: string, params: unknown[], options: cassandra.QueryOptions) => Promise<cassandra.types.ResultSet>;

async function* scan(connect: () => Promise<cassandra.Client>, execute: StatementRunner, statements: JournalStatements, settings: ScanSettings): AsyncGenerator<EventTableRow> {
  const { parallelism, splitCount, pageSize, signal } = settings;
  if (signal?.aborted) return;
  const client = await connect();
  // Tokens are Murmur3 here; another partitioner would need other bounds.
  const partitioner = (client.metadata as unknown as { partitioner?: string }).partitioner;
  if (partitioner !== undefined && !partitioner.endsWith('Murmur3Partitioner')) throw new TypeError(`eventTable: only Murmur3Partitioner is supported, the cluster uses ${partitioner}`);
  const queryOptions: cassandra.QueryOptions = { prepare: true, fetchSize: pageSize, consistency: consistencyCode(settings.consistency) };
  const splits = splitMurmur3Ring(splitCount);
  const channel = new PageChannel<EventTableRow[]>(parallelism * 2);
  let nextSplit = 0;

  const worker = async (): Promise<void> => {
    while (!channel.cancelled && nextSplit < splits.length) {
      const split = splits[nextSplit++]!;
      let pageState: string | undefined;
      do {
        const pageOptions: cassandra.QueryOptions = pageState === undefined ? queryOptions : { ...queryOptions, pageState };
        // Tokens as decimal strings: both bigint encodings of the driver accept them.
        const result = await execute(client, statements.scanTokenRange, [split.start, split.end], pageOptions);
        // A partition holding only its static columns (claimed, or every event deleted) yields a row without sequence_nr.
        const rows = result.rows.filter((row) => row['sequence_nr'] !== null && row['sequence_nr'] !== undefined);
        if (rows.length > 0) {
          const page = rows.map((row) => {
            const persistenceId = row['persistence_id'] as string;
            const event = toRepr(persistenceId, row);
            return { key: { persistenceId, partitionNr: toNumber(row['partition_nr']), sequenceNr: event.sequenceNr }, event };
          });
          if (!(await channel.put(page))) return;
        }
        pageState = result.pageState ?? undefined;
      } while (pageState !== undefined && pageState !== null && !channel.cancelled);
    }
  };

  const onAbort = (): void => channel.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  const workers = Array.from({ length: Math.min(parallelism, splits.length) }, () => worker());
  Promise.all(workers).then(
    () => channel.end(),
    (error: unknown) => channel.fail(error),
  );
  try {
    for (;;) {
      const page = await channel.take();
      if (page === undefined) return;
      yield* page;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    channel.cancel();
  }
}
