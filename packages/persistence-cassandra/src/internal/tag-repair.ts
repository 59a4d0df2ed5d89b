/**
 * The repair at recovery: appends the log entries of an id's last write when the writer
 * stored the events but never appended them (a crash, or a failure, between the two steps).
 *
 * Only the last write of an id can lack its entries: a write is acknowledged only after its
 * entries are appended, a failed write stops the actor, and every recovery runs this before
 * the id's next write. The write records the block each log was open at (`tag_blocks`);
 * its entries, if appended, are in that block or a later one, with a progress row saying so.
 *
 * When none is found, the block open now is sealed first: after that no live append can
 * land unseen (one that sees a block sealed re-checks its writer's claim, `log-appender.ts`,
 * and a recovery that repairs holds the claim or is the same writer again). Then the
 * progress is read again, since an append may have landed before the seal, and only
 * when it is still missing are the entries appended, by this recovery. That second read,
 * and the search for the block to seal, are serial reads whatever `readConsistency` is:
 * a read at ONE could miss an append that completed before the seal and append it again.
 */
import type { PersistentRepr } from '@troupe/persistence';
import type cassandra from 'cassandra-driver';
import type { LogAppender } from './log-appender.js';
import type { LogEntry } from './ordered-log.js';

type Client = cassandra.Client;

/** The id's last write as stored: its events and the blocks its log entries were meant for. */
export interface StoredWrite {
  readonly events: readonly PersistentRepr[];
  /** Log key (a tag, or '' for the persistence-id log) → block open when the write was made. */
  readonly tagBlocks: ReadonlyMap<string, number>;
}

/** Appends the missing log entries of `write`, the last write of `persistenceId`; see the file comment. */
export async function repairLastWrite(client: Client, persistenceId: string, write: StoredWrite, tagAppender: LogAppender, idAppender: LogAppender): Promise<void> {
  const last = write.events[write.events.length - 1] as PersistentRepr;
  await Promise.all([tagAppender.settled(persistenceId), idAppender.settled(persistenceId)]);
  await Promise.all(
    [...write.tagBlocks].map(async ([key, recorded]) => {
      const appender = key === '' ? idAppender : tagAppender;
      // A plain read finding the progress row is proof enough; only "missing" must be certain.
      if (await appendedSince(client, appender, key, recorded, persistenceId, last.sequenceNr, false)) return;
      await appender.log.sealOpen(client, key, recorded);
      if (await appendedSince(client, appender, key, recorded, persistenceId, last.sequenceNr, true)) return;
      const entries = key === '' ? [idEntry(write.events[0] as PersistentRepr)] : write.events.filter((event) => event.tags.includes(key)).map(eventEntry);
      if (entries.length === 0) return;
      await appender.append(client, key, { entries, persistenceId, lastSequenceNr: last.sequenceNr, bytes: entryBytes(entries) });
    }),
  );
}

/**
 * True when a progress row in a block from `from` to the open one shows the write ending at
 * `lastSequenceNr` appended. `serial` reads at serial consistency: a read at `readConsistency`
 * (ONE, say) may miss an append that completed on other replicas before the seal.
 */
async function appendedSince(client: Client, appender: LogAppender, key: string, from: number, persistenceId: string, lastSequenceNr: number, serial: boolean): Promise<boolean> {
  const open = await appender.log.openBlock(client, key, from, serial);
  for (let block = from; block <= open; block++) {
    if ((await appender.log.progress(client, key, block, persistenceId, serial)) >= lastSequenceNr) return true;
  }
  return false;
}

/** The entry of an event in the tag log. */
export function eventEntry(event: PersistentRepr): LogEntry {
  return {
    persistenceId: event.persistenceId,
    sequenceNr: event.sequenceNr,
    timestamp: event.timestamp,
    writerUuid: event.writerUuid,
    event: { serializerId: event.serializerId, manifest: event.manifest, eventManifest: event.eventManifest, payload: event.payload, tags: event.tags },
  };
}

/** The entry of an id's first event in the persistence-id log (no payload). */
export function idEntry(first: PersistentRepr): LogEntry {
  return { persistenceId: first.persistenceId, sequenceNr: first.sequenceNr, timestamp: first.timestamp, writerUuid: first.writerUuid };
}

/** Payload bytes of entries (for batch sizing). */
export function entryBytes(entries: readonly LogEntry[]): number {
  let bytes = 0;
  for (const entry of entries) bytes += (entry.event?.payload.byteLength ?? 0) + entry.persistenceId.length + 64;
  return bytes;
}
