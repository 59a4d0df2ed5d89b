import type { SerializationRegistry } from '@troupe/core';
import { SnapshotStoreError } from '../errors.js';
import type { SnapshotMetadata, SnapshotSelectionCriteria, SnapshotStore } from '../snapshot-store.js';

/**
 * Snapshot operations of one persistent actor. The store is resolved on first use, so an
 * actor that never takes snapshots never creates (or opens files for) a snapshot store.
 * Every failure rejects with `SnapshotStoreError`; none is fatal to the actor.
 */
export class Snapshotter {
  private store: Promise<SnapshotStore> | undefined;

  constructor(
    private readonly persistenceId: string,
    private readonly serialization: SerializationRegistry,
    private readonly resolveStore: () => Promise<SnapshotStore>,
  ) {}

  /** The store, resolved once (a failed resolution is retried next time). */
  storeNow(): Promise<SnapshotStore> {
    if (this.store === undefined) {
      const store = this.resolveStore();
      this.store = store;
      store.catch(() => {
        if (this.store === store) this.store = undefined;
      });
    }
    return this.store;
  }

  async save(state: unknown, sequenceNr: number): Promise<SnapshotMetadata> {
    const metadata: SnapshotMetadata = { persistenceId: this.persistenceId, sequenceNr, timestamp: Date.now() };
    try {
      const serialized = this.serialization.serialize(state);
      const store = await this.storeNow();
      await store.saveSnapshot({ ...metadata, payload: serialized.bytes, serializerId: serialized.serializerId, manifest: serialized.manifest });
    } catch (cause) {
      throw new SnapshotStoreError('saving a snapshot', this.persistenceId, cause);
    }
    return metadata;
  }

  async delete(sequenceNr: number): Promise<void> {
    try {
      await (await this.storeNow()).deleteSnapshot(this.persistenceId, sequenceNr);
    } catch (cause) {
      throw new SnapshotStoreError('deleting a snapshot', this.persistenceId, cause);
    }
  }

  async deleteMatching(criteria: SnapshotSelectionCriteria): Promise<void> {
    try {
      await (await this.storeNow()).deleteSnapshots(this.persistenceId, criteria);
    } catch (cause) {
      throw new SnapshotStoreError('deleting snapshots', this.persistenceId, cause);
    }
  }
}
