import { PayloadTooLargeError } from './errors.js';
import { checkPositiveInteger } from './internal/check-positive-integer.js';
import { type SnapshotSelectionCriteria, SnapshotSelectionCriteria as Criteria, type SnapshotStore, type StoredSnapshot } from './snapshot-store.js';

/** Options of `InMemorySnapshotStore`. */
export interface InMemorySnapshotStoreOptions {
  /** Snapshots above this size are refused. @default 64 MiB */
  readonly maxPayloadBytes?: number;
}

/** Snapshots in process memory, for tests and demos. */
export class InMemorySnapshotStore implements SnapshotStore {
  /** Per persistence id, ascending by sequence number. */
  private readonly snapshots = new Map<string, StoredSnapshot[]>();
  private readonly maxPayloadBytes: number;

  constructor(options: InMemorySnapshotStoreOptions = {}) {
    this.maxPayloadBytes = checkPositiveInteger('InMemorySnapshotStore', 'maxPayloadBytes', options.maxPayloadBytes ?? 64 * 1024 * 1024);
  }

  saveSnapshot(snapshot: StoredSnapshot): Promise<void> {
    if (snapshot.payload.byteLength > this.maxPayloadBytes) return Promise.reject(new PayloadTooLargeError(snapshot.payload.byteLength, this.maxPayloadBytes));
    let list = this.snapshots.get(snapshot.persistenceId);
    if (list === undefined) this.snapshots.set(snapshot.persistenceId, (list = []));
    const kept = list.filter((s) => s.sequenceNr !== snapshot.sequenceNr);
    kept.push(snapshot);
    kept.sort((a, b) => a.sequenceNr - b.sequenceNr || a.timestamp - b.timestamp);
    this.snapshots.set(snapshot.persistenceId, kept);
    return Promise.resolve();
  }

  loadSnapshot(persistenceId: string, criteria: SnapshotSelectionCriteria): Promise<StoredSnapshot | undefined> {
    const list = this.snapshots.get(persistenceId) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const snapshot = list[i] as StoredSnapshot;
      if (Criteria.matches(criteria, snapshot)) return Promise.resolve(snapshot);
    }
    return Promise.resolve(undefined);
  }

  deleteSnapshot(persistenceId: string, sequenceNr: number): Promise<void> {
    const list = this.snapshots.get(persistenceId);
    if (list !== undefined)
      this.snapshots.set(
        persistenceId,
        list.filter((s) => s.sequenceNr !== sequenceNr),
      );
    return Promise.resolve();
  }

  deleteSnapshots(persistenceId: string, criteria: SnapshotSelectionCriteria): Promise<void> {
    const list = this.snapshots.get(persistenceId);
    if (list !== undefined)
      this.snapshots.set(
        persistenceId,
        list.filter((s) => !Criteria.matches(criteria, s)),
      );
    return Promise.resolve();
  }
}
