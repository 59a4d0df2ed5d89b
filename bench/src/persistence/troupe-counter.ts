import type { ActorSystem } from '@troupe/core';
import { InMemorySnapshotStore, type Journal, Persistence, PersistentActor } from '@troupe/persistence';
import { troupeSystem } from '../core/systems.js';

/** Adds `n` (one event per command), or reports the state (`probe`). */
export type CounterCommand = { readonly type: 'add'; readonly n: number } | { readonly type: 'probe' };
/** What the counter stores: one per `add`. */
export type CounterEvent = { readonly type: 'added'; readonly n: number };

/** Preallocated commands, so the figures measure persistence, not the driver's allocations. */
export const ADD_ONE: CounterCommand = Object.freeze({ type: 'add', n: 1 });
export const PROBE: CounterCommand = Object.freeze({ type: 'probe' });

/** Why a counter reports: it answered a probe, or it stored its target number of events. */
export type CounterReport = (reason: 'probe' | 'target', total: number, lastSequenceNr: number) => void;

/**
 * The Troupe side of every persistence scenario: one `await this.persist(event)` per
 * command, the event applied to a running total. A probe is handled only after
 * recovery (commands wait in the mailbox meanwhile), so answering one means recovered.
 */
export class TroupeCounter extends PersistentActor<CounterCommand, CounterEvent> {
  private total = 0;

  constructor(
    readonly persistenceId: string,
    private readonly target: number,
    private readonly report: CounterReport,
  ) {
    super();
  }

  applyEvent(event: CounterEvent): void {
    this.total += event.n;
  }

  receiveCommand(command: CounterCommand): void | Promise<void> {
    if (command.type === 'probe') {
      this.report('probe', this.total, this.lastSequenceNr);
      return;
    }
    return this.add(command.n);
  }

  private async add(n: number): Promise<void> {
    await this.persist({ type: 'added', n });
    if (this.lastSequenceNr === this.target) this.report('target', this.total, this.lastSequenceNr);
  }
}

/** A fresh silent system whose default journal is `journal` (snapshots in memory; the counter takes none). */
export function troupePersistentSystem(journal: Journal): ActorSystem {
  const system = troupeSystem();
  Persistence.configure(system, { journals: { default: journal }, snapshotStores: { default: new InMemorySnapshotStore() } });
  return system;
}

/** Closes the system's journals (waiting for it, so SQLite files can be deleted next), then terminates it. */
export async function terminatePersistentSystem(system: ActorSystem): Promise<void> {
  await Persistence.get(system).close();
  await system.terminate();
}
