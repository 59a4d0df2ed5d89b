/**
 * A journal plugin as a user would write one: only `@troupe/persistence`'s public SPI,
 * one append-only file of JSON lines. Each line is one atomic write, a deletion or a
 * writer claim, so a crash can tear at most the last line, which loading ignores: all or
 * nothing.
 *
 * Single writer: every instance reads what other instances appended before it checks
 * or answers anything (it follows the file), and refuses a write whose sequence number is
 * taken or whose writer was fenced by a later claim. Check and append are one synchronous
 * step, so instances in one process are safe; instances in two processes are not (that
 * would need a file lock), which is one reason this journal is an example only. If two
 * processes did race, loading finds the conflicting line and throws
 * (`JournalFileConflictError`) rather than hide an acknowledged write.
 *
 * Not for production: it keeps every event in memory and never compacts the file.
 */
import { appendFileSync, closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { type AtomicWrite, type Journal, type JournalCapabilities, type PersistentRepr, type ReplayRange, SequenceNumberTakenError, WriterFencedError } from '@troupe/persistence';

/** One line of the file. Payloads are base64 so the file stays text. */
type Line =
  | { readonly op: 'write'; readonly events: readonly StoredEvent[] }
  | { readonly op: 'delete'; readonly persistenceId: string; readonly toSequenceNr: number }
  | { readonly op: 'claim'; readonly persistenceId: string; readonly writerUuid: string };

type StoredEvent = Omit<PersistentRepr, 'payload'> & { readonly payload: string };

/**
 * The file holds a write that breaks the single-writer checks against the lines before it
 * (two processes appended to one file at once): both were acknowledged, so neither can be
 * dropped silently. The journal refuses to load or go on; repair the file by hand.
 */
export class JournalFileConflictError extends Error {
  /** Stable code. */
  readonly code = 'ERR_JOURNAL_FILE_CONFLICT';
  constructor(path: string, persistenceId: string, sequenceNr: number) {
    super(`${path}: a write of "${persistenceId}" from ${sequenceNr} conflicts with an earlier line (a taken number or a fenced writer; did two processes use this file?)`);
    this.name = 'JournalFileConflictError';
  }
}

/** Options of `JsonLinesJournal`. */
export interface JsonLinesJournalOptions {
  /** The file; created with its folder. */
  readonly path: string;
  /** fsync after every batch (survives power loss, slower). @default false */
  readonly fsync?: boolean;
  /** Events with a bigger payload are rejected. @default 1 MiB */
  readonly maxPayloadBytes?: number;
}

interface Stream {
  events: PersistentRepr[];
  highest: number;
  /** The writer uuid that claimed the id last; any writer while unclaimed. */
  writer: string | undefined;
}

const NEWLINE = 0x0a;

/** Append-only JSON-lines journal. Declares no query capability. */
export class JsonLinesJournal implements Journal {
  readonly capabilities: JournalCapabilities = { persistenceIdsQuery: false, eventsByTagQuery: false, changeNotifications: false };
  private readonly streams = new Map<string, Stream>();
  private readonly fd: number;
  private readonly fsync: boolean;
  private readonly maxPayloadBytes: number;
  /** Bytes of the file already applied to `streams`. */
  private position = 0;

  constructor(readonly options: JsonLinesJournalOptions) {
    if (typeof options?.path !== 'string' || options.path === '') throw new TypeError('JsonLinesJournal: path must be a non-empty string');
    this.fsync = options.fsync ?? false;
    this.maxPayloadBytes = options.maxPayloadBytes ?? 1024 * 1024;
    mkdirSync(dirname(options.path), { recursive: true });
    this.fd = openSync(options.path, 'a+');
    // A crash may have torn the last line: end it, so the next append starts a line of its own.
    const size = fstatSync(this.fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(this.fd, last, 0, 1, size - 1);
      if (last[0] !== NEWLINE) appendFileSync(this.fd, '\n');
    }
    this.follow();
  }

  async writeMessages(writes: readonly AtomicWrite[]): Promise<readonly (Error | undefined)[]> {
    this.follow();
    const results: (Error | undefined)[] = [];
    // Highest number per id of the writes accepted so far in this call: a second write of
    // one id in the call (two actors with one id) is checked against the first.
    const accepted = new Map<string, number>();
    let text = '';
    for (const write of writes) {
      const refusal = this.refusal(write, accepted.get(write.persistenceId) ?? 0);
      results.push(refusal);
      if (refusal !== undefined) continue;
      accepted.set(
        write.persistenceId,
        write.events.reduce((max, e) => Math.max(max, e.sequenceNr), 0),
      );
      const line: Line = { op: 'write', events: write.events.map((e) => ({ ...e, payload: Buffer.from(e.payload).toString('base64') })) };
      text += `${JSON.stringify(line)}\n`;
    }
    // One append per batch; a throw here rejects the whole call (a failure, as the SPI says).
    this.append(text);
    return results;
  }

  async *replayMessages(persistenceId: string, range: ReplayRange): AsyncIterable<readonly PersistentRepr[]> {
    this.follow();
    const events = this.streams.get(persistenceId)?.events ?? [];
    let page: PersistentRepr[] = [];
    let count = 0;
    for (const event of events) {
      if (count >= range.max) break;
      if (event.sequenceNr < range.fromSequenceNr) continue;
      if (event.sequenceNr > range.toSequenceNr) break;
      page.push(event);
      count++;
      if (page.length === 256) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  async claimWriter(persistenceId: string, writerUuid: string): Promise<void> {
    const line: Line = { op: 'claim', persistenceId, writerUuid };
    this.append(`${JSON.stringify(line)}\n`);
  }

  async readHighestSequenceNr(persistenceId: string): Promise<number> {
    this.follow();
    return this.streams.get(persistenceId)?.highest ?? 0;
  }

  async deleteMessagesTo(persistenceId: string, toSequenceNr: number): Promise<void> {
    const to = Number.isFinite(toSequenceNr) ? toSequenceNr : Number.MAX_SAFE_INTEGER;
    const line: Line = { op: 'delete', persistenceId, toSequenceNr: to };
    this.append(`${JSON.stringify(line)}\n`);
  }

  async close(): Promise<void> {
    closeSync(this.fd);
  }

  /**
   * Why `write` must be refused (the single-writer contract, then the size limit), or
   * undefined; `pendingHighest` is what earlier writes of the same call will store.
   */
  private refusal(write: AtomicWrite, pendingHighest: number): Error | undefined {
    const stream = this.streams.get(write.persistenceId);
    const first = write.events[0];
    if (first !== undefined) {
      const stale = stream?.writer === undefined ? undefined : write.events.find((e) => e.writerUuid !== stream.writer);
      if (stale !== undefined) return new WriterFencedError(write.persistenceId, stale.writerUuid);
      const highest = Math.max(stream?.highest ?? 0, pendingHighest);
      if (first.sequenceNr <= highest) return new SequenceNumberTakenError(write.persistenceId, first.sequenceNr, highest);
    }
    const tooBig = write.events.find((e) => e.payload.byteLength > this.maxPayloadBytes);
    if (tooBig !== undefined) return new RangeError(`payload of ${tooBig.payload.byteLength} bytes is above ${this.maxPayloadBytes}`);
    return undefined;
  }

  /** Appends lines (durably when `fsync`), then reads them back like any other instance's. */
  private append(text: string): void {
    if (text !== '') {
      appendFileSync(this.fd, text);
      if (this.fsync) fsyncSync(this.fd);
    }
    this.follow();
  }

  /** Applies every complete line appended since the last call, by this or another instance. */
  private follow(): void {
    const size = fstatSync(this.fd).size;
    if (size <= this.position) return;
    const bytes = Buffer.alloc(size - this.position);
    const read = readSync(this.fd, bytes, 0, bytes.length, this.position);
    const end = bytes.lastIndexOf(NEWLINE, read - 1);
    if (end < 0) return; // only part of a line so far
    for (const text of bytes.subarray(0, end).toString('utf8').split('\n')) {
      if (text === '') continue;
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        continue; // a line torn by a crash: that write was never acknowledged
      }
      this.apply(line);
    }
    this.position += end + 1;
  }

  private apply(line: Line): void {
    if (line.op === 'delete') {
      const stream = this.streams.get(line.persistenceId);
      if (stream !== undefined) stream.events = stream.events.filter((e) => e.sequenceNr > line.toSequenceNr);
      return;
    }
    if (line.op === 'claim') {
      this.stream(line.persistenceId).writer = line.writerUuid;
      return;
    }
    const first = line.events[0];
    if (first === undefined) return;
    const stream = this.stream(first.persistenceId);
    // Only lines that passed the checks are ever appended by one process; a line that breaks
    // them means two processes raced on the file, and both writes were acknowledged. Hiding
    // either would lose an acknowledged event, so refuse to load instead.
    if (first.sequenceNr <= stream.highest || (stream.writer !== undefined && line.events.some((e) => e.writerUuid !== stream.writer))) {
      throw new JournalFileConflictError(this.options.path, first.persistenceId, first.sequenceNr);
    }
    for (const event of line.events) {
      stream.events.push({ ...event, payload: new Uint8Array(Buffer.from(event.payload, 'base64')) });
      stream.highest = Math.max(stream.highest, event.sequenceNr);
    }
  }

  private stream(persistenceId: string): Stream {
    let stream = this.streams.get(persistenceId);
    if (stream === undefined) this.streams.set(persistenceId, (stream = { events: [], highest: 0, writer: undefined }));
    return stream;
  }
}
