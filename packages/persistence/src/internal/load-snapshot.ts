import type { Logger, SerializationRegistry } from '@troupe/core';
import { describeCause } from '../errors.js';
import type { SnapshotMetadata, SnapshotSelectionCriteria, SnapshotStore } from '../snapshot-store.js';

/**
 * The newest usable snapshot: when the newest matching one cannot be loaded or
 * deserialised, older ones are tried (up to `attempts` in all), as Akka's
 * `max-load-attempts` does. When every attempt finds an unusable snapshot, recovery fails:
 * replaying from the first event could silently miss events deleted after a snapshot.
 */
export async function loadNewestSnapshot(
  store: SnapshotStore,
  serialization: SerializationRegistry,
  persistenceId: string,
  criteria: SnapshotSelectionCriteria,
  attempts: number,
  log: Logger,
): Promise<{ state: unknown; metadata: SnapshotMetadata } | undefined> {
  let bounds = criteria;
  let unusable: unknown;
  for (let attempt = 0; attempt < attempts && bounds.maxSequenceNr >= bounds.minSequenceNr && bounds.maxSequenceNr > 0; attempt++) {
    const stored = await store.loadSnapshot(persistenceId, bounds);
    if (stored === undefined) break;
    try {
      const state = serialization.deserialize({ serializerId: stored.serializerId, manifest: stored.manifest, bytes: stored.payload });
      return { state, metadata: { persistenceId, sequenceNr: stored.sequenceNr, timestamp: stored.timestamp } };
    } catch (error) {
      unusable = error;
      log.warn(`${persistenceId}: snapshot at ${stored.sequenceNr} is unusable, trying an older one: ${describeCause(error)}`, { error });
      bounds = { ...bounds, maxSequenceNr: stored.sequenceNr - 1 };
    }
  }
  if (unusable !== undefined) throw new Error(`no usable snapshot of "${persistenceId}" within ${attempts} attempts`, { cause: unusable });
  return undefined;
}
