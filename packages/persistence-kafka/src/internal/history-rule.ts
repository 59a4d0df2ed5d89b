/**
 * The rule that decides which records of a journal topic are the persistence id's history.
 * Kafka has no conditional append: two writers of one id (a split brain, a double spawn,
 * a zombie after failover) can both append. So the log itself is the arbiter, and every
 * reader and every writer's acknowledgement apply this one rule, in offset order:
 *
 * - A fence record (`troupe.fence: <writer uuid>`, written by `claimWriter`) makes that
 *   writer the holder of the id from its offset on.
 * - The data records of one record batch (one atomic write) belong to the history iff
 *   every one carries the holder's writer uuid (or no fence precedes them) and their
 *   sequence numbers continue the last valid record's, `last + 1, last + 2, …`. Otherwise
 *   the whole batch is skipped (a loser's duplicates, a fenced writer's records).
 * - Anything else is skipped: nothing stops a reader.
 *
 * Where the log starts above offset 0 (deleted records), the state before it is taken from
 * the first record there: a data record is the first surviving event (`last = seq - 1`;
 * its checkpoint, below, gives the holder), a start marker (left by deleting everything)
 * states it, and otherwise the format before fences applies (`last` = the log start
 * offset, event n having been at offset n - 1).
 *
 * Checkpoints: every data record (and fence) a journal instance writes carries
 * `troupe.at: <offset>,<last>,<holder>`, the state of the history at an offset that
 * instance had judged when it wrote (its own position). That is a fact about an immutable
 * prefix of the log, true whoever wrote it and whether or not the record itself joined
 * the history, so a reader may start judging at such an offset instead of at the log
 * start: a recovery reads a page near its first event and a page near the end, not the
 * whole log. `<holder>` is `-` (never claimed), `=` (the record's writer) or a writer uuid.
 */
import type { IncomingRecord } from '../kafka-client.js';

/** What is known of the history at a position of the log. */
export interface HistoryState {
  /** Sequence number of the last event of the history before this position (0: none). */
  readonly last: number;
  /** The writer of the latest fence before this position; `undefined`: never claimed. */
  readonly holder: string | undefined;
}

/** A position of the log with the history's state there. */
export interface LogPosition {
  readonly offset: bigint;
  readonly state: HistoryState;
}

/** Header names of the records the rule reads beyond the event envelope. */
export const ControlHeaders = {
  /** On a fence record: the uuid of the writer that claimed the id. */
  fence: 'troupe.fence',
  /** On data records and fences: a checkpoint, `<offset>,<last>,<holder>` (see above). */
  at: 'troupe.at',
  /** On a start marker: the last sequence number before it (everything up to it was deleted). */
  start: 'troupe.start',
  /** On a start marker: the holder at that point (absent: never claimed). */
  holder: 'troupe.holder',
} as const;

/** A record as the rule sees it. */
export type InspectedRecord =
  | { readonly kind: 'fence'; readonly writer: string; readonly at: Buffer | undefined }
  | { readonly kind: 'data'; readonly persistenceId: string; readonly sequenceNr: number; readonly writer: string; readonly at: Buffer | undefined }
  | { readonly kind: 'start'; readonly state: HistoryState }
  | { readonly kind: 'other' };

const names = {
  fence: Buffer.from(ControlHeaders.fence),
  at: Buffer.from(ControlHeaders.at),
  start: Buffer.from(ControlHeaders.start),
  holder: Buffer.from(ControlHeaders.holder),
  version: Buffer.from('troupe.v'),
  persistenceId: Buffer.from('troupe.pid'),
  sequenceNr: Buffer.from('troupe.seq'),
  writer: Buffer.from('troupe.writer'),
};

/** Byte equality in plain JavaScript (`Buffer.equals` crosses into C++), last byte first: header names share their `troupe.` start. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The text of header bytes, reusing the last string made from the same bytes: a scan meets
 * the same persistence id and writer uuid record after record.
 */
class Interned {
  private bytes: Buffer | undefined;
  private text = '';
  of(bytes: Buffer): string {
    if (this.bytes === undefined || !same(this.bytes, bytes)) {
      this.text = bytes.toString('utf8');
      // A copy, so a kept slice never pins a whole fetched response in memory.
      this.bytes = Buffer.from(bytes);
    }
    return this.text;
  }
}
const persistenceIds = new Interned();
const writers = new Interned();

/** True when the header has a value and is named `name`. */
function named(header: readonly [Buffer | null, Buffer | null], name: Buffer): boolean {
  return header[0] !== null && header[1] !== null && same(header[0], name);
}

/** A positive decimal from its ASCII bytes; NaN when not one. */
function decimal(bytes: Buffer): number {
  if (bytes.length === 0 || bytes.length > 15) return NaN;
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** Reads only the headers the rule needs (no payload, no tags): cheap enough for every record. */
export function inspectRecord(record: Pick<IncomingRecord, 'headers'>): InspectedRecord {
  let version = false;
  let persistenceId: Buffer | undefined;
  let sequenceNr: Buffer | undefined;
  let writer: Buffer | undefined;
  let at: Buffer | undefined;
  let fence: Buffer | undefined;
  let start: Buffer | undefined;
  let holder: Buffer | undefined;
  const headers = record.headers;
  // Records of `encodeEnvelope` (plus the checkpoint) carry the headers in its order: look there first.
  if (headers.length >= 9 && named(headers[0]!, names.version) && named(headers[1]!, names.persistenceId) && named(headers[2]!, names.sequenceNr) && named(headers[8]!, names.writer)) {
    const seq = decimal(headers[2]![1]!);
    if (!Number.isSafeInteger(seq) || seq < 1) return { kind: 'other' };
    const checkpoint = headers.length > 9 && named(headers[9]!, names.at) ? (headers[9]![1] ?? undefined) : undefined;
    return { kind: 'data', persistenceId: persistenceIds.of(headers[1]![1]!), sequenceNr: seq, writer: writers.of(headers[8]![1]!), at: checkpoint };
  }
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i]![0];
    const value = headers[i]![1];
    if (name === null || value === null) continue;
    // Header names of one kind differ in length or in their 8th byte and later.
    switch (name.length) {
      case 8:
        if (same(name, names.version)) version = true;
        break;
      case 10:
        if (same(name, names.sequenceNr)) sequenceNr = value;
        else if (same(name, names.persistenceId)) persistenceId = value;
        break;
      case 13:
        if (same(name, names.writer)) writer = value;
        else if (same(name, names.holder)) holder = value;
        break;
      case 12:
        if (same(name, names.fence)) fence = value;
        else if (same(name, names.start)) start = value;
        break;
      case 9:
        if (same(name, names.at)) at = value;
        break;
      default:
        break;
    }
  }
  if (fence !== undefined) return { kind: 'fence', writer: fence.toString('utf8'), at };
  if (start !== undefined) {
    const last = Number(start.toString('latin1'));
    if (!Number.isSafeInteger(last) || last < 0) return { kind: 'other' };
    return { kind: 'start', state: { last, holder: holder?.toString('utf8') } };
  }
  if (!version || persistenceId === undefined || sequenceNr === undefined || writer === undefined) return { kind: 'other' };
  const seq = decimal(sequenceNr);
  if (!Number.isSafeInteger(seq) || seq < 1) return { kind: 'other' };
  return { kind: 'data', persistenceId: persistenceIds.of(persistenceId), sequenceNr: seq, writer: writers.of(writer), at };
}

/**
 * The state before the log start `logStart` from the first record there (see the module
 * comment). `first` is that record, or `undefined` when none is stored at the log start yet.
 */
export function stateAtLogStart(logStart: bigint, first: InspectedRecord | undefined, persistenceId: string): HistoryState {
  if (logStart === 0n) return { last: 0, holder: undefined };
  if (first?.kind === 'start') return first.state;
  if (first?.kind === 'data' && first.persistenceId === persistenceId) {
    const checkpoint = checkpointOf(first);
    if (checkpoint?.offset === logStart) return checkpoint.state;
    return { last: first.sequenceNr - 1, holder: checkpoint?.state.holder };
  }
  return { last: Number(logStart), holder: undefined };
}

/** The `troupe.at` header value stating `position`, on a record of `writer`. */
export function encodeCheckpoint(position: LogPosition, writer: string): Buffer {
  const { holder } = position.state;
  return Buffer.from(`${position.offset},${position.state.last},${holder === undefined ? '-' : holder === writer ? '=' : holder}`, 'utf8');
}

/** The checkpoint a data record or fence carries; `undefined` when none or malformed. */
export function checkpointOf(record: InspectedRecord): LogPosition | undefined {
  if ((record.kind !== 'data' && record.kind !== 'fence') || record.at === undefined) return undefined;
  const text = record.at.toString('utf8');
  const first = text.indexOf(',');
  const second = text.indexOf(',', first + 1);
  if (first <= 0 || second <= first + 1) return undefined;
  const offsetText = text.slice(0, first);
  const last = Number(text.slice(first + 1, second));
  const holderText = text.slice(second + 1);
  if (!/^[0-9]+$/.test(offsetText) || !Number.isSafeInteger(last) || last < 0 || holderText === '') return undefined;
  const holder = holderText === '-' ? undefined : holderText === '=' ? record.writer : holderText;
  return { offset: BigInt(offsetText), state: { last, holder } };
}

/** The verdict on one record batch. */
export interface BatchVerdict {
  /** The state after the batch. */
  readonly state: HistoryState;
  /** True when the batch holds data records and they joined the history. */
  readonly valid: boolean;
}

/** Applies the rule to the records of one record batch, in offset order. */
export function judgeBatch(state: HistoryState, records: readonly InspectedRecord[], persistenceId: string): BatchVerdict {
  let holder = state.holder;
  let last = state.last;
  let ok = true;
  let data = 0;
  for (const record of records) {
    if (record.kind === 'fence') {
      holder = record.writer;
    } else if (record.kind === 'data') {
      data++;
      if (ok && record.persistenceId === persistenceId && (holder === undefined || holder === record.writer) && record.sequenceNr === last + 1) last = record.sequenceNr;
      else ok = false;
    }
  }
  const valid = data > 0 && ok;
  return { state: { last: valid ? last : state.last, holder }, valid };
}

/** Why a write of `writer` starting at `first` cannot join the history at `state`; `undefined` when it can. */
export function refusalAt(state: HistoryState, writer: string, first: number): 'fenced' | 'taken' | undefined {
  if (state.holder !== undefined && state.holder !== writer) return 'fenced';
  if (first !== state.last + 1) return 'taken';
  return undefined;
}
