import type { PersistentRepr } from '@troupe/persistence';
import type cassandra from 'cassandra-driver';
import { toNumber } from './cassandra-session.js';

/** A stored row as the `PersistentRepr` that was written. */
export function toRepr(persistenceId: string, row: cassandra.types.Row): PersistentRepr {
  const tags = row['tags'] as string[] | null;
  return {
    persistenceId,
    sequenceNr: toNumber(row['sequence_nr']),
    payload: row['event'] as Buffer,
    serializerId: row['ser_id'] as string,
    manifest: row['ser_manifest'] as string,
    eventManifest: (row['event_manifest'] as string | null) ?? '',
    tags: tags ?? [],
    timestamp: toNumber(row['timestamp']),
    writerUuid: row['writer_uuid'] as string,
  };
}
