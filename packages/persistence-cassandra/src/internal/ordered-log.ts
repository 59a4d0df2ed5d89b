import type cassandra from 'cassandra-driver';
import type { OrderedLogStatements } from '../ordered-log-statements.js';
import { TAG_OFFSET_BLOCK_SPAN, tagOffset, tagOffsetParts } from '../tag-offset.js';
import { type CassandraSession, toNumber } from './cassandra-session.js';

type Client = cassandra.Client;

/** What one entry of an ordered log carries (an event, or a persistence id's first write). */
export interface LogEntry {
  readonly persistenceId: string;
  readonly sequenceNr: number;
  readonly timestamp: number;
  readonly writerUuid: string;
  /** Left out (null columns) in `persistence_id_log`. */
  readonly event?: { readonly serializerId: string; readonly manifest: string; readonly eventManifest: string; readonly payload: Uint8Array; readonly tags: readonly string[] };
}

/** An entry as read back, with its offset. */
export interface ReadEntry {
  readonly offset: number;
  readonly row: cassandra.types.Row;
}

/** The static state of one block. */
export interface BlockState {
  /** Last position taken; 0 while empty. */
  readonly high: number;
  readonly sealed: boolean;
}

/** Outcome of one conditional append. */
export type AppendOutcome = { readonly applied: true } | { readonly applied: false; readonly state: BlockState };

/**
 * One ordered log table: blocks of gap-free positions per key (a tag, or '' for the
 * persistence-id log). Reads stop at the first position not visible yet, so a reader
 * never steps over an entry that becomes visible later; see `OrderedLogStatements`.
 */
export class OrderedLog {
  constructor(
    private readonly session: CassandraSession,
    readonly statements: OrderedLogStatements,
    /** Positions a block takes before the next one opens (≤ 2^20 - 1). */
    readonly blockSize: number,
    private readonly readOptions: cassandra.QueryOptions,
    private readonly lwtOptions: cassandra.QueryOptions,
    /**
     * Serial reads (`serialConsistency`): they see every conditional append and seal that
     * completed, whatever `readConsistency` is; the repair's decisions rest on them.
     */
    private readonly serialReadOptions: cassandra.QueryOptions,
  ) {}

  /** The static state of a block (an absent block is empty and open); `serial` reads it at serial consistency. */
  async state(client: Client, key: string, block: number, serial = false): Promise<BlockState> {
    const options = serial ? this.serialReadOptions : this.readOptions;
    const row = (await this.session.execute(client, this.statements.selectState, [key, this.session.long(block)], options)).first();
    return { high: row === null || row === undefined ? 0 : toNumber(row['high']), sealed: row?.['sealed'] === true };
  }

  /**
   * The first block at or after `from` that is not sealed: the one appends go to. Blocks are
   * sealed in order, so the sealed ones form a prefix: gallop, then bisect.
   */
  async openBlock(client: Client, key: string, from: number, serial = false): Promise<number> {
    if (!(await this.state(client, key, from, serial)).sealed) return from;
    let sealed = from;
    let step = 1;
    let open = from + step;
    while ((await this.state(client, key, open, serial)).sealed) {
      sealed = open;
      step *= 2;
      open = from + step;
    }
    while (open - sealed > 1) {
      const middle = Math.floor((sealed + open) / 2);
      if ((await this.state(client, key, middle, serial)).sealed) sealed = middle;
      else open = middle;
    }
    return open;
  }

  /**
   * Seals `block` (a conditional write: nothing can be appended to it once this resolves).
   * False when it was sealed already (by another seal).
   */
  async seal(client: Client, key: string, block: number): Promise<boolean> {
    const row = (await this.session.execute(client, this.statements.seal, [key, this.session.long(block)], this.lwtOptions)).first();
    return row === null || row === undefined || row['[applied]'] === true;
  }

  /**
   * Seals the block open now, at or after `from`; resolves with it. Every later append goes to
   * a later block. The open block is found with serial reads, and a block someone else sealed
   * meanwhile is stepped over: the block this resolves with was sealed by this call.
   */
  async sealOpen(client: Client, key: string, from: number): Promise<number> {
    let block = await this.openBlock(client, key, from, true);
    while (!(await this.seal(client, key, block))) block++;
    return block;
  }

  /**
   * The progress row of `persistenceId` in `block`: the last sequence number of its newest
   * write appended there, or 0. `serial` reads it at serial consistency.
   */
  async progress(client: Client, key: string, block: number, persistenceId: string, serial = false): Promise<number> {
    const options = serial ? this.serialReadOptions : this.readOptions;
    const row = (await this.session.execute(client, this.statements.selectProgress, [key, this.session.long(block), persistenceId], options)).first();
    return row === null || row === undefined ? 0 : toNumber(row['sequence_nr']);
  }

  /**
   * Takes positions `high + 1 … high + entries.length` of `block` and writes the entries and the
   * progress rows, all in one conditional batch (atomic and isolated in the partition).
   */
  async append(client: Client, key: string, block: number, high: number, entries: readonly LogEntry[], progress: ReadonlyMap<string, number>): Promise<AppendOutcome> {
    const long = this.session.long;
    const b = long(block);
    const queries: { query: string; params: unknown[] }[] = [{ query: this.statements.takePositions, params: [long(high + entries.length), key, b, high === 0 ? null : long(high)] }];
    entries.forEach((entry, i) => queries.push({ query: this.statements.insertEntry, params: this.entryParams(key, b, high + 1 + i, entry) }));
    for (const [pid, sequenceNr] of progress) queries.push({ query: this.statements.setProgress, params: [long(sequenceNr), key, b, pid] });
    const result = await this.session.batch(client, queries, this.lwtOptions);
    const first = result.rows[0];
    if (first === undefined || first['[applied]'] === true) return { applied: true };
    return { applied: false, state: { high: first['high'] === null || first['high'] === undefined ? 0 : toNumber(first['high']), sealed: first['sealed'] === true } };
  }

  /**
   * Up to `limit` entries after `afterOffset`, in offset order. Stops at the first position
   * not visible yet (gap-free positions make that the end of what is committed), and moves
   * to the next block only past a sealed block's last position.
   */
  async read(client: Client, key: string, afterOffset: number, limit: number): Promise<ReadEntry[]> {
    let { block, position } = tagOffsetParts(afterOffset);
    const found: ReadEntry[] = [];
    while (found.length < limit) {
      // LIMIT is a 32-bit int; a caller asking for "everything" reads in pages.
      const want = Math.min(limit - found.length, READ_PAGE_ROWS);
      const rows = (await this.session.execute(client, this.statements.selectEntries, [key, this.session.long(block), this.session.long(position), want], { ...this.readOptions, fetchSize: want }))
        .rows;
      for (const row of rows) {
        const at = toNumber(row['position']);
        if (at !== position + 1) return found;
        position = at;
        found.push({ offset: tagOffset(block, at), row });
      }
      if (rows.length === want) continue;
      const state = await this.state(client, key, block);
      if (!state.sealed || position < state.high) return found;
      block++;
      position = 0;
    }
    return found;
  }

  private entryParams(key: string, block: number | string, position: number, entry: LogEntry): unknown[] {
    const long = this.session.long;
    const event = entry.event;
    return [
      key,
      block,
      long(position),
      entry.persistenceId,
      long(entry.sequenceNr),
      long(entry.timestamp),
      entry.writerUuid,
      event?.serializerId,
      event?.manifest,
      event?.eventManifest,
      event === undefined ? undefined : toBuffer(event.payload),
      event === undefined || event.tags.length === 0 ? undefined : event.tags,
    ];
  }
}

/** Most rows one query of `read` asks for. */
const READ_PAGE_ROWS = 5000;

/** The largest block size the offset format allows. */
export const MAX_BLOCK_SIZE = TAG_OFFSET_BLOCK_SPAN - 1;

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
