import { randomUUID } from 'node:crypto';
import type { Journal, ReplayRange } from '../journal.js';
import type { AtomicWrite, PersistentRepr } from '../persistent-repr.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A fresh persistence id, so tests never see each other's data. */
export function freshId(prefix = 'tck'): string {
  return `${prefix}-${randomUUID()}`;
}

/** An event whose payload is the text `${persistenceId}:${sequenceNr}` (or `payload`). */
export function repr(persistenceId: string, sequenceNr: number, extra: Partial<PersistentRepr> = {}): PersistentRepr {
  return {
    persistenceId,
    sequenceNr,
    payload: encoder.encode(`${persistenceId}:${sequenceNr}`),
    serializerId: 'json',
    manifest: 'tck-event',
    eventManifest: '',
    tags: [],
    timestamp: 1_700_000_000_000 + sequenceNr,
    writerUuid: 'tck-writer',
    ...extra,
  };
}

/** An atomic write of `from..to` for `persistenceId`. */
export function atomic(persistenceId: string, from: number, to: number, extra: Partial<PersistentRepr> = {}): AtomicWrite {
  const events: PersistentRepr[] = [];
  for (let seq = from; seq <= to; seq++) events.push(repr(persistenceId, seq, extra));
  return { persistenceId, events };
}

/** Writes events 1..n of `persistenceId`, one atomic write per event, all in one call. */
export async function writeEvents(journal: Journal, persistenceId: string, n: number, extra: Partial<PersistentRepr> = {}): Promise<void> {
  for (let seq = 1; seq <= n; seq++) {
    const results = await journal.writeMessages([atomic(persistenceId, seq, seq, extra)]);
    if (results[0] !== undefined) throw new Error(`TCK setup: write ${seq} of ${persistenceId} was rejected: ${results[0].message}`);
  }
}

/** Every event a replay yields, checking that pages are non-empty arrays. */
export async function replay(journal: Journal, persistenceId: string, range: Partial<ReplayRange> = {}): Promise<PersistentRepr[]> {
  const all: PersistentRepr[] = [];
  for await (const page of journal.replayMessages(persistenceId, { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity, ...range })) {
    if (!Array.isArray(page) || page.length === 0) throw new Error('TCK: replayMessages must yield non-empty arrays of events');
    all.push(...page);
  }
  return all;
}

/** Sequence numbers of a replay. */
export async function replayedNumbers(journal: Journal, persistenceId: string, range: Partial<ReplayRange> = {}): Promise<number[]> {
  return (await replay(journal, persistenceId, range)).map((e) => e.sequenceNr);
}

/** The text of a payload written by `repr`. */
export function text(payload: Uint8Array): string {
  return decoder.decode(payload);
}

/** The stable `code` of an error (`TroupeError.code`); read by value, not `instanceof`, since a plugin may load its own copy of this package. */
export function codeOf(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The first result of a one-write call, for writes that are expected to be refused. */
export async function writeOne(journal: Journal, write: AtomicWrite): Promise<Error | undefined> {
  const results = await journal.writeMessages([write]);
  if (results.length !== 1) throw new Error(`TCK: writeMessages must answer one result per write, got ${results.length}`);
  return results[0];
}

/** Opens the second instance the single-writer cases need (`openSibling`), or shares `journal` when the plugin gives none. */
export async function openSibling(journal: Journal, open: ((journal: Journal) => Journal | Promise<Journal>) | undefined): Promise<Journal> {
  return open === undefined ? journal : await open(journal);
}
