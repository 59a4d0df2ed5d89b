/**
 * A snapshot-store plugin written against the public SPI only: every snapshot in one
 * JSON file, rewritten through a temporary file and an atomic rename on each change.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SnapshotSelectionCriteria, type SnapshotStore, type StoredSnapshot } from '@troupe/persistence';

type StoredJson = Omit<StoredSnapshot, 'payload'> & { readonly payload: string };

/** Snapshots in one JSON file. Fine for examples and small apps. */
export class JsonFileSnapshotStore implements SnapshotStore {
  private snapshots: StoredSnapshot[];

  constructor(readonly path: string) {
    if (typeof path !== 'string' || path === '') throw new TypeError('JsonFileSnapshotStore: path must be a non-empty string');
    mkdirSync(dirname(path), { recursive: true });
    try {
      const stored = JSON.parse(readFileSync(path, 'utf8')) as StoredJson[];
      this.snapshots = stored.map((s) => ({ ...s, payload: new Uint8Array(Buffer.from(s.payload, 'base64')) }));
    } catch {
      this.snapshots = [];
    }
  }

  async saveSnapshot(snapshot: StoredSnapshot): Promise<void> {
    this.snapshots = this.snapshots.filter((s) => !(s.persistenceId === snapshot.persistenceId && s.sequenceNr === snapshot.sequenceNr));
    this.snapshots.push(snapshot);
    this.flush();
  }

  async loadSnapshot(persistenceId: string, criteria: SnapshotSelectionCriteria): Promise<StoredSnapshot | undefined> {
    return this.snapshots
      .filter((s) => s.persistenceId === persistenceId && SnapshotSelectionCriteria.matches(criteria, s))
      .sort((a, b) => b.sequenceNr - a.sequenceNr || b.timestamp - a.timestamp)[0];
  }

  async deleteSnapshot(persistenceId: string, sequenceNr: number): Promise<void> {
    this.snapshots = this.snapshots.filter((s) => !(s.persistenceId === persistenceId && s.sequenceNr === sequenceNr));
    this.flush();
  }

  async deleteSnapshots(persistenceId: string, criteria: SnapshotSelectionCriteria): Promise<void> {
    this.snapshots = this.snapshots.filter((s) => !(s.persistenceId === persistenceId && SnapshotSelectionCriteria.matches(criteria, s)));
    this.flush();
  }

  private flush(): void {
    const json: StoredJson[] = this.snapshots.map((s) => ({ ...s, payload: Buffer.from(s.payload).toString('base64') }));
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(json));
    renameSync(tmp, this.path);
  }
}
