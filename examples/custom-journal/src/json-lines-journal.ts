/**
 * A journal plugin as a user would write one: only `@troupe/persistence`'s public SPI,
 * one append-only file of JSON lines. Each line is one atomic write (or a deletion), so
 * a crash can tear at most the last line, which loading ignores: all or nothing.
 *
 * Not for production: it keeps every event in memory and never compacts the file.
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AtomicWrite, Journal, JournalCapabilities, PersistentRepr, ReplayRange } from '@troupe/persistence';

/** One line of the file. Payloads are base64 so the file stays text. */
type Line =
  | { readonly op: 'write'; readonly events: readonly StoredEvent[] }
  | { readonly op: 'delete'; readonly persistenceId: string; readonly toSequenceNr: number };

type StoredEvent = Omit<PersistentRepr, 'payload'> & { readonly payload: string };

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
}

/** Append-only JSON-lines journal. Declares no query capability. */
export class JsonLinesJournal implements Journal {
  readonly capabilities: JournalCapabilities = { persistenceIdsQuery: false, eventsByTagQuery: false, changeNotifications: false };
  private readonly streams = new Map<string, Stream>();
  private readonly fd: number;
  private readonly fsync: boolean;
  private readonly maxPayloadBytes: number;

  constructor(readonly options: JsonLinesJournalOptions) {
    if (typeof options?.path !== 'string' || options.path === '') throw new TypeError('JsonLinesJournal: path must be a non-empty string');
    this.fsync = options.fsync ?? false;
    this.maxPayloadBytes = options.maxPayloadBytes ?? 1024 * 1024;
    mkdirSync(dirname(options.path), { recursive: true });
    this.load(options.path);
    this.fd = openSync(options.path, 'a');
  }

  async writeMessages(writes: readonly AtomicWrite[]): Promise<readonly (Error | undefined)[]> {
    const results: (Error | undefined)[] = [];
    let text = '';
    const accepted: AtomicWrite[] = [];
    for (const write of writes) {
      const tooBig = write.events.find((e) => e.payload.byteLength > this.maxPayloadBytes);
      if (tooBig !== undefined) {
        results.push(new RangeError(`payload of ${tooBig.payload.byteLength} bytes is above ${this.maxPayloadBytes}`));
        continue;
      }
      results.push(undefined);
      accepted.push(write);
      const line: Line = { op: 'write', events: write.events.map((e) => ({ ...e, payload: Buffer.from(e.payload).toString('base64') })) };
      text += `${JSON.stringify(line)}\n`;
    }
    // One append per batch; a throw here rejects the whole call (a failure, as the SPI says).
    if (text !== '') {
      appendFileSync(this.fd, text);
      if (this.fsync) fsyncSync(this.fd);
    }
    for (const write of accepted) this.apply({ op: 'write', events: [] }, write.events);
    return results;
  }

  async *replayMessages(persistenceId: string, range: ReplayRange): AsyncIterable<readonly PersistentRepr[]> {
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

  async readHighestSequenceNr(persistenceId: string): Promise<number> {
    return this.streams.get(persistenceId)?.highest ?? 0;
  }

  async deleteMessagesTo(persistenceId: string, toSequenceNr: number): Promise<void> {
    const to = Number.isFinite(toSequenceNr) ? toSequenceNr : Number.MAX_SAFE_INTEGER;
    const line: Line = { op: 'delete', persistenceId, toSequenceNr: to };
    appendFileSync(this.fd, `${JSON.stringify(line)}\n`);
    if (this.fsync) fsyncSync(this.fd);
    this.apply(line, []);
  }

  async close(): Promise<void> {
    closeSync(this.fd);
  }

  private load(path: string): void {
    let content: string;
    try {
      content = readFileSync(path, 'utf8');
    } catch {
      return; // no file yet
    }
    for (const text of content.split('\n')) {
      if (text === '') continue;
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        continue; // a line torn by a crash: that write was never acknowledged
      }
      const events = line.op === 'write' ? line.events.map((e) => ({ ...e, payload: new Uint8Array(Buffer.from(e.payload, 'base64')) })) : [];
      this.apply(line, events);
    }
  }

  private apply(line: Line, events: readonly PersistentRepr[]): void {
    if (line.op === 'delete') {
      const stream = this.streams.get(line.persistenceId);
      if (stream !== undefined) stream.events = stream.events.filter((e) => e.sequenceNr > line.toSequenceNr);
      return;
    }
    for (const event of events) {
      let stream = this.streams.get(event.persistenceId);
      if (stream === undefined) this.streams.set(event.persistenceId, (stream = { events: [], highest: 0 }));
      stream.events.push(event);
      stream.highest = Math.max(stream.highest, event.sequenceNr);
    }
  }
}
