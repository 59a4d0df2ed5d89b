import { performance } from 'node:perf_hooks';
import type { Journal } from '../journal.js';
import { atomic, freshId } from './tck-fixtures.js';

/** Options of `measureJournalPerformance`. */
export interface JournalPerformanceOptions {
  /** Events written to the one persistence id, then replayed. @default 10_000 */
  readonly events?: number;
  /**
   * Events per atomic write. 1 is one `persist` per event, each awaited before the next
   * (what one actor does: the runtime keeps one write per id in flight). @default 1
   */
  readonly eventsPerWrite?: number;
  /** Payload size of each event in bytes. @default 100 */
  readonly payloadBytes?: number;
  /** The persistence id written. @default a fresh `perf-…` id */
  readonly persistenceId?: string;
}

/** What `measureJournalPerformance` measured. */
export interface JournalPerformance {
  readonly persistenceId: string;
  readonly events: number;
  readonly eventsPerWrite: number;
  readonly writeMs: number;
  readonly replayMs: number;
  readonly writeEventsPerSec: number;
  readonly replayEventsPerSec: number;
}

/**
 * The performance section of the compliance kit (Akka's JournalPerfSpec): writes `events`
 * events to one persistence id in order, each write awaited before the next, then replays
 * them, and returns events per second for both. It checks what it measures (every write
 * acknowledged, the replay complete and in order) and throws otherwise. Call it from a
 * plugin's benchmark, not from a test: timings under a loaded test run mean nothing.
 *
 * @example
 * const perf = await measureJournalPerformance(new SqliteJournal({ path }), { events: 10_000 });
 * console.log(`write ${perf.writeEventsPerSec.toFixed(0)} events/s, replay ${perf.replayEventsPerSec.toFixed(0)} events/s`);
 */
export async function measureJournalPerformance(journal: Journal, options: JournalPerformanceOptions = {}): Promise<JournalPerformance> {
  const events = options.events ?? 10_000;
  const eventsPerWrite = options.eventsPerWrite ?? 1;
  const payloadBytes = options.payloadBytes ?? 100;
  if (!(Number.isInteger(events) && events > 0)) throw new RangeError(`measureJournalPerformance: events must be a positive integer, got ${events}`);
  if (!(Number.isInteger(eventsPerWrite) && eventsPerWrite > 0)) throw new RangeError(`measureJournalPerformance: eventsPerWrite must be a positive integer, got ${eventsPerWrite}`);
  if (!(Number.isInteger(payloadBytes) && payloadBytes >= 0)) throw new RangeError(`measureJournalPerformance: payloadBytes must be an integer >= 0, got ${payloadBytes}`);
  const persistenceId = options.persistenceId ?? freshId('perf');
  const payload = new Uint8Array(payloadBytes).fill(0x61);

  const writeStart = performance.now();
  for (let from = 1; from <= events; from += eventsPerWrite) {
    const to = Math.min(events, from + eventsPerWrite - 1);
    const [result] = await journal.writeMessages([atomic(persistenceId, from, to, { payload })]);
    if (result !== undefined) throw new Error(`measureJournalPerformance: write ${from}..${to} of ${persistenceId} was rejected: ${result.message}`, { cause: result });
  }
  const writeMs = performance.now() - writeStart;

  const replayStart = performance.now();
  let expected = 1;
  for await (const page of journal.replayMessages(persistenceId, { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) {
    for (const event of page) {
      if (event.sequenceNr !== expected) throw new Error(`measureJournalPerformance: replay of ${persistenceId} returned ${event.sequenceNr} where ${expected} was expected`);
      expected++;
    }
  }
  const replayMs = performance.now() - replayStart;
  if (expected - 1 !== events) throw new Error(`measureJournalPerformance: replay of ${persistenceId} returned ${expected - 1} of ${events} events`);

  return {
    persistenceId,
    events,
    eventsPerWrite,
    writeMs,
    replayMs,
    writeEventsPerSec: events / (writeMs / 1000),
    replayEventsPerSec: events / (replayMs / 1000),
  };
}
