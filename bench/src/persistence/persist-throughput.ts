import type { ActorRef } from '@troupe/core';
import type { Journal } from '@troupe/persistence';
import nact from 'nact';
import { Latch } from '../core/latch.js';
import type { Sample } from '../core/measurement.js';
import { stopNact } from '../core/systems.js';
import type { JournalStore } from './journal-kinds.js';
import { MapPersistenceEngine } from './nact-map-engine.js';
import { spawnNactCounter } from './nact-counter.js';
import { Stopwatch } from './stopwatch.js';
import { ADD_ONE, type CounterCommand, PROBE, TroupeCounter, terminatePersistentSystem, troupePersistentSystem } from './troupe-counter.js';

/**
 * Persist throughput: `actors` counters each handle `eventsPerActor` commands, each
 * command one `await persist(event)`, so an actor has one write in flight at a time and
 * handles its next command only after the journal confirmed the last. With one actor
 * every event is its own journal call (the journal's round trip is the limit); with
 * 1,000 actors Troupe's group commit gathers the writes of all actors that persisted
 * while the previous call was in flight into one `writeMessages` call. The commands are
 * told up front, round robin; the clock runs from the first tell until every actor has
 * stored its last event. Actors are spawned and recovered (empty) before the clock starts.
 */

/** Counts `writeMessages` calls and the atomic writes they carried (group-commit batch size). */
interface WriteCalls {
  calls: number;
  writes: number;
}

function countWriteCalls(journal: Journal): WriteCalls {
  const counted: WriteCalls = { calls: 0, writes: 0 };
  const write = journal.writeMessages.bind(journal);
  journal.writeMessages = (writes) => {
    counted.calls++;
    counted.writes += writes.length;
    return write(writes);
  };
  return counted;
}

/** Troupe: `actors` × `eventsPerActor` events through `PersistentActor` into `store`'s journal; also the mean writes per journal call. */
export async function troupePersist(store: JournalStore, actors: number, eventsPerActor: number): Promise<Sample> {
  const journal = store.open();
  const calls = countWriteCalls(journal);
  const system = troupePersistentSystem(journal);
  try {
    const started = new Latch(actors);
    const finished = new Latch(actors);
    const report = (reason: 'probe' | 'target'): void => (reason === 'probe' ? started : finished).count();
    const refs: ActorRef<CounterCommand>[] = [];
    for (let i = 0; i < actors; i++) refs.push(system.spawn(() => new TroupeCounter(`counter-${i}`, eventsPerActor, report)));
    for (const ref of refs) ref.tell(PROBE);
    await started.done;
    calls.calls = 0;
    calls.writes = 0;
    const stopwatch = new Stopwatch();
    for (let e = 0; e < eventsPerActor; e++) for (const ref of refs) ref.tell(ADD_ONE);
    await finished.done;
    const measured = stopwatch.stop(actors * eventsPerActor);
    for (let i = 0; i < actors; i += Math.max(1, actors >> 3)) {
      const highest = await journal.readHighestSequenceNr(`counter-${i}`, 1);
      if (highest !== eventsPerActor) throw new Error(`troupe persist: counter-${i} stored ${highest} events, expected ${eventsPerActor}`);
    }
    return { ...measured, writesPerCall: calls.writes / calls.calls };
  } finally {
    await terminatePersistentSystem(system);
    await store.dispose();
  }
}

/** nact: the same workload through `spawnPersistent` and `persist` into `MapPersistenceEngine`. */
export async function nactPersist(actors: number, eventsPerActor: number): Promise<Sample> {
  const engine = new MapPersistenceEngine();
  const system = nact.start(nact.configurePersistence(engine));
  try {
    const started = new Latch(actors);
    const finished = new Latch(actors);
    const report = (reason: 'probe' | 'target'): void => (reason === 'probe' ? started : finished).count();
    const refs: nact.Ref<CounterCommand>[] = [];
    for (let i = 0; i < actors; i++) refs.push(spawnNactCounter(system, `counter-${i}`, eventsPerActor, report));
    for (const ref of refs) nact.dispatch(ref, PROBE);
    await started.done;
    const stopwatch = new Stopwatch();
    for (let e = 0; e < eventsPerActor; e++) for (const ref of refs) nact.dispatch(ref, ADD_ONE);
    await finished.done;
    const measured = stopwatch.stop(actors * eventsPerActor);
    for (let i = 0; i < actors; i++) {
      if (engine.size(`counter-${i}`) !== eventsPerActor) throw new Error(`nact persist: counter-${i} stored ${engine.size(`counter-${i}`)} events, expected ${eventsPerActor}`);
    }
    return measured;
  } finally {
    await stopNact(system);
  }
}
