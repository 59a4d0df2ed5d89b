import nact from 'nact';
import { Latch } from '../core/latch.js';
import type { Sample } from '../core/measurement.js';
import { stopNact } from '../core/systems.js';
import type { JournalStore } from './journal-kinds.js';
import { MapPersistenceEngine } from './nact-map-engine.js';
import { spawnNactCounter } from './nact-counter.js';
import { Stopwatch } from './stopwatch.js';
import { fillJournal } from './stored-events.js';
import { PROBE, TroupeCounter, terminatePersistentSystem, troupePersistentSystem } from './troupe-counter.js';

/**
 * Recovery speed: one actor whose journal holds `events` events (no snapshot) starts
 * and replays them all. The clock runs from spawn until the actor has handled a probe
 * told right after spawning; both runtimes hold commands until recovery has ended, so
 * that is the moment recovery finished. Each run starts a fresh system and actor over
 * the same stored events, and checks the recovered state.
 */

/** A journal of `store` holding `events` counter events of `persistenceId`, written before the clock starts. */
export async function fillTroupeStore(store: JournalStore, persistenceId: string, events: number): Promise<void> {
  const journal = store.open();
  try {
    await fillJournal(journal, persistenceId, events);
  } finally {
    if (store.kind !== 'in-memory') await journal.close?.();
  }
}

/** Troupe: a `PersistentActor` recovering `events` events from `store`. */
export async function troupeRecover(store: JournalStore, persistenceId: string, events: number): Promise<Sample> {
  const system = troupePersistentSystem(store.open());
  try {
    const recovered = new Latch(1);
    let state = { total: -1, lastSequenceNr: -1 };
    const stopwatch = new Stopwatch();
    const ref = system.spawn(
      () =>
        new TroupeCounter(persistenceId, Infinity, (_reason, total, lastSequenceNr) => {
          state = { total, lastSequenceNr };
          recovered.count();
        }),
    );
    ref.tell(PROBE);
    await recovered.done;
    const measured = stopwatch.stop(events);
    if (state.total !== events || state.lastSequenceNr !== events) throw new Error(`troupe recovery: got total ${state.total} at ${state.lastSequenceNr}, expected ${events}`);
    return measured;
  } finally {
    await terminatePersistentSystem(system);
  }
}

/** nact's stored form of `events` counter events, appended to `engine` as nact's `persist` would. */
export function fillNactEngine(engine: MapPersistenceEngine, persistenceKey: string, events: number): void {
  const createdAt = Date.now();
  for (let sequenceNumber = 1; sequenceNumber <= events; sequenceNumber++) {
    void engine.persist({ data: { type: 'added', n: 1 }, sequenceNumber, key: persistenceKey, createdAt, isDeleted: false, tags: [] });
  }
}

/** nact: a `spawnPersistent` actor recovering `events` events from `engine`. */
export async function nactRecover(engine: MapPersistenceEngine, persistenceKey: string, events: number): Promise<Sample> {
  const system = nact.start(nact.configurePersistence(engine));
  try {
    const recovered = new Latch(1);
    let state = { total: -1, lastSequenceNr: -1 };
    const stopwatch = new Stopwatch();
    const ref = spawnNactCounter(system, persistenceKey, Infinity, (_reason, total, lastSequenceNr) => {
      state = { total, lastSequenceNr };
      recovered.count();
    });
    nact.dispatch(ref, PROBE);
    await recovered.done;
    const measured = stopwatch.stop(events);
    if (state.total !== events || state.lastSequenceNr !== events) throw new Error(`nact recovery: got total ${state.total} at ${state.lastSequenceNr}, expected ${events}`);
    return measured;
  } finally {
    await stopNact(system);
  }
}
