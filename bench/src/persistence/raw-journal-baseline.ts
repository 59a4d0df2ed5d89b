import type { AtomicWrite, PersistentRepr } from '@troupe/persistence';
import type { Sample } from '../core/measurement.js';
import type { JournalStore } from './journal-kinds.js';
import { Stopwatch } from './stopwatch.js';
import { addedRepr, decodedIncrement, writeAll } from './stored-events.js';

/**
 * The raw baseline: the same journal driven directly through its SPI, no actors, no
 * batcher. Persisting encodes each event to JSON and awaits `writeMessages` with one
 * atomic write per id per call: one write per call for one id, 1,000 per call for 1,000
 * ids (the batch group commit would form at best). Replaying decodes every payload.
 * The gap between this and the Troupe figure is what the actor layer costs.
 */

/** `ids` × `eventsPerId` events written straight to `store`'s journal, all ids in one call per round. */
export async function rawPersist(store: JournalStore, ids: number, eventsPerId: number): Promise<Sample> {
  const journal = store.open();
  try {
    const names = Array.from({ length: ids }, (_, i) => `counter-${i}`);
    const stopwatch = new Stopwatch();
    for (let seq = 1; seq <= eventsPerId; seq++) {
      const writes: AtomicWrite[] = new Array(ids);
      for (let i = 0; i < ids; i++) {
        const persistenceId = names[i] as string;
        writes[i] = { persistenceId, events: [addedRepr(persistenceId, seq)] };
      }
      await writeAll(journal, writes);
    }
    return stopwatch.stop(ids * eventsPerId);
  } finally {
    await journal.close?.();
    await store.dispose();
  }
}

/** `events` events of `persistenceId` replayed straight from `store`'s journal, each payload decoded. */
export async function rawReplay(store: JournalStore, persistenceId: string, events: number): Promise<Sample> {
  const journal = store.open();
  try {
    let total = 0;
    const stopwatch = new Stopwatch();
    for await (const page of journal.replayMessages(persistenceId, { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) {
      for (let i = 0; i < page.length; i++) total += decodedIncrement(page[i] as PersistentRepr);
    }
    const measured = stopwatch.stop(events);
    if (total !== events) throw new Error(`raw replay: decoded ${total} events, expected ${events}`);
    return measured;
  } finally {
    if (store.kind !== 'in-memory') await journal.close?.();
  }
}
