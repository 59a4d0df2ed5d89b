import { TroupeError } from '@troupe/core';

/**
 * A journal write failed as a whole (the journal is down, the call threw or timed out).
 * The events may or may not have been stored. The persistent actor stops processing
 * and fails with this error so its supervisor applies (use
 * `SupervisorStrategy.restartWithBackoff`); recovery then reads what is really stored.
 */
export class JournalWriteError extends TroupeError {
  constructor(persistenceId: string, cause: unknown) {
    super('ERR_JOURNAL_WRITE', `journal write for "${persistenceId}" failed: ${describeCause(cause)}`, { cause });
  }
}

/**
 * The journal (or the serializer) refused one atomic write; nothing of it was stored
 * and no sequence number was used. The actor keeps running.
 */
export class JournalRejectedError extends TroupeError {
  constructor(persistenceId: string, cause: unknown) {
    super('ERR_JOURNAL_REJECTED', `journal rejected a write for "${persistenceId}": ${describeCause(cause)}`, { cause });
  }
}

/** The write queue of a journal is full (`maxQueuedWrites`); treated like a failed write. */
export class JournalOverloadedError extends TroupeError {
  constructor(journalId: string, limit: number) {
    super('ERR_JOURNAL_OVERLOADED', `journal "${journalId}" has ${limit} writes queued (maxQueuedWrites); refusing more`);
  }
}

/** A journal call did not answer within `batching.callTimeoutMs`; treated like a failed write. */
export class JournalCallTimeoutError extends TroupeError {
  constructor(journalId: string, timeoutMs: number) {
    super('ERR_JOURNAL_TIMEOUT', `journal "${journalId}" did not answer a write within ${timeoutMs} ms`);
  }
}

/** Recovery (snapshot load, highest sequence number or replay) failed. */
export class RecoveryError extends TroupeError {
  constructor(persistenceId: string, cause: unknown) {
    super('ERR_RECOVERY', `recovery of "${persistenceId}" failed: ${describeCause(cause)}`, { cause });
  }
}

/** Saving, loading or deleting a snapshot failed. Not fatal to the actor. */
export class SnapshotStoreError extends TroupeError {
  constructor(what: string, persistenceId: string, cause: unknown) {
    super('ERR_SNAPSHOT_STORE', `${what} for "${persistenceId}" failed: ${describeCause(cause)}`, { cause });
  }
}

/** Deleting events failed. Not fatal to the actor. */
export class JournalDeleteError extends TroupeError {
  constructor(persistenceId: string, cause: unknown) {
    super('ERR_JOURNAL_DELETE', `deleting events of "${persistenceId}" failed: ${describeCause(cause)}`, { cause });
  }
}

/** No journal or snapshot store is registered under the id an actor or query asked for. */
export class PluginNotFoundError extends TroupeError {
  constructor(kind: 'journal' | 'snapshot store', id: string, known: readonly string[]) {
    super('ERR_PERSISTENCE_PLUGIN_NOT_FOUND', `no ${kind} registered as "${id}" (registered: ${known.length === 0 ? 'none' : known.join(', ')})`);
  }
}

/** A query was asked of a journal that does not declare the capability. */
export class QueryNotSupportedError extends TroupeError {
  constructor(journalId: string, query: string) {
    super('ERR_QUERY_NOT_SUPPORTED', `journal "${journalId}" does not support the ${query} query`);
  }
}

/**
 * A query met a stored event whose bytes it cannot turn back into an event: an unknown
 * serializer id, bytes the serializer refuses (corrupt or written by another format), or
 * an event adapter that throws. Names the event so it can be found and repaired, and
 * carries `offset` so a consumer resumes after it: pass it back as `eventsByTag`'s
 * offset, or `offset + 1` (the sequence number after it) as `eventsByPersistenceId`'s
 * `fromSequenceNr`. The stored event is left as it is.
 */
export class UndeserializableEventError extends TroupeError {
  constructor(
    /** The journal the query read. */
    readonly journalId: string,
    readonly persistenceId: string,
    readonly sequenceNr: number,
    /** The event's query offset: the journal-wide order for tag queries, the sequence number for persistence-id queries. */
    readonly offset: number,
    /** Serializer id stored with the event. */
    readonly serializerId: string,
    /** Serializer manifest stored with the event. */
    readonly manifest: string,
    /** Event-adapter manifest stored with the event (`''` when none). */
    readonly eventManifest: string,
    cause: unknown,
  ) {
    super(
      'ERR_UNDESERIALIZABLE_EVENT',
      `journal "${journalId}": cannot deserialise event ${persistenceId}#${sequenceNr} (offset ${offset}, serializer "${serializerId}", manifest "${manifest}"): ${describeCause(cause)}`,
      { cause },
    );
  }
}

/** A journal or snapshot store refused a payload above its size limit (a rejection, not a failure). */
export class PayloadTooLargeError extends TroupeError {
  constructor(size: number, limit: number) {
    super('ERR_PAYLOAD_TOO_LARGE', `payload of ${size} bytes exceeds the limit of ${limit} bytes`);
  }
}

/** A write reused a sequence number already stored (two writers of one persistence id); a rejection. */
export class SequenceNumberTakenError extends TroupeError {
  constructor(persistenceId: string, sequenceNr: number, highest: number) {
    super('ERR_SEQUENCE_NUMBER_TAKEN', `"${persistenceId}" already has events up to ${highest}; refusing a write starting at ${sequenceNr} (is another actor writing this persistence id?)`);
  }
}

/**
 * The journal refused a write because a newer incarnation of the persistence id has
 * claimed it (`Journal.claimWriter`): this writer is stale (a split brain, a double
 * spawn, a zombie after failover). Nothing of the write was stored; a rejection. The
 * persistent actor that made it stops instead of restarting.
 */
export class WriterFencedError extends TroupeError {
  constructor(persistenceId: string, writerUuid: string) {
    super('ERR_WRITER_FENCED', `"${persistenceId}" has been claimed by a newer writer; refusing a write of the stale writer ${writerUuid} (did the actor start on two nodes, or twice on one?)`);
  }
}

/**
 * A persistent actor that the journal has refused as stale (a newer incarnation owns the
 * persistence id) was asked to delete events or snapshots, or to save a snapshot. The
 * journal does not fence those operations, so the runtime refuses them: they would change
 * the newer incarnation's stored state. The actor is stopping.
 */
export class StaleIncarnationError extends TroupeError {
  constructor(persistenceId: string, operation: string) {
    super('ERR_STALE_INCARNATION', `"${persistenceId}" is owned by a newer incarnation; this stale one refuses ${operation} and is stopping`);
  }
}

/**
 * True for the rejections that mean "another incarnation owns this persistence id":
 * `SequenceNumberTakenError` and `WriterFencedError`, also when wrapped as the `cause` of
 * a `JournalRejectedError`. Matched by `code`, not class, because a plugin may load its
 * own copy of this package and so construct errors of another class with the same code.
 */
export function isStaleWriterRejection(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_SEQUENCE_NUMBER_TAKEN' || code === 'ERR_WRITER_FENCED') return true;
  }
  return false;
}

/** Short text for an unknown thrown value, for messages and log lines. */
export function describeCause(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
