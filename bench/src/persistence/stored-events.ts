import { randomUUID } from 'node:crypto';
import { type AtomicWrite, type Journal, JsonPayloadSerializer, type PersistentRepr } from '@troupe/persistence';
import type { CounterEvent } from './troupe-counter.js';

/**
 * The counter's events in stored form, exactly as `TroupeCounter` writes them through
 * the default serialization (JSON bytes, serializer id `json`, manifest = the event's
 * `type`): used to fill journals for recovery and by the raw journal baseline.
 */

const serializer = new JsonPayloadSerializer();
// A UUID like the one each actor incarnation writes, so stored rows have the same size.
const WRITER = randomUUID();

/** One stored `{ type: 'added', n: 1 }` event; the payload is encoded here, as `persist` would. */
export function addedRepr(persistenceId: string, sequenceNr: number): PersistentRepr {
  const event: CounterEvent = { type: 'added', n: 1 };
  return {
    persistenceId,
    sequenceNr,
    payload: serializer.toBinary(event),
    serializerId: serializer.id,
    manifest: event.type,
    eventManifest: '',
    tags: [],
    timestamp: Date.now(),
    writerUuid: WRITER,
  };
}

/** The `n` of a stored counter event (what replay must decode). */
export function decodedIncrement(repr: PersistentRepr): number {
  return (serializer.fromBinary(repr.payload) as CounterEvent).n;
}

/** Writes `events` counter events of `persistenceId` in atomic writes of `perWrite` events (as `persistAll` would). */
export async function fillJournal(journal: Journal, persistenceId: string, events: number, perWrite = 1000): Promise<void> {
  for (let first = 1; first <= events; first += perWrite) {
    const reprs: PersistentRepr[] = [];
    for (let seq = first; seq < first + perWrite && seq <= events; seq++) reprs.push(addedRepr(persistenceId, seq));
    await writeAll(journal, [{ persistenceId, events: reprs }]);
  }
}

/** `journal.writeMessages(writes)`, throwing if any write was rejected (a benchmark must store what it counts). */
export async function writeAll(journal: Journal, writes: readonly AtomicWrite[]): Promise<void> {
  const results = await journal.writeMessages(writes);
  for (const result of results) if (result !== undefined) throw new Error(`a benchmark write was rejected: ${result.message}`);
}
