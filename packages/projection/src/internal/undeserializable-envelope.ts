import type { EventEnvelope } from '@troupe/persistence';

/** The fields of `@troupe/persistence`'s `UndeserializableEventError` the projection reads. */
interface UndeserializableEvent extends Error {
  readonly code: 'ERR_UNDESERIALIZABLE_EVENT';
  readonly persistenceId: string;
  readonly sequenceNr: number;
  readonly offset: number;
}

/**
 * Turns a source failure that names one stored event the journal cannot deserialise
 * (`ERR_UNDESERIALIZABLE_EVENT`, thrown by a query run without `onUndeserializable:
 * 'flag'`) into an envelope flagged `undeserializable`, so the bad-input policy applies
 * to it as to a flagged one; `undefined` for any other failure. Matched by `code`, not
 * class, because an application may load its own copy of `@troupe/persistence`.
 */
export function undeserializableEnvelope(error: unknown): EventEnvelope<unknown> | undefined {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== 'ERR_UNDESERIALIZABLE_EVENT') return undefined;
  const event = error as UndeserializableEvent;
  if (typeof event.persistenceId !== 'string' || !Number.isSafeInteger(event.sequenceNr) || !Number.isSafeInteger(event.offset)) return undefined;
  return {
    offset: event.offset,
    persistenceId: event.persistenceId,
    sequenceNr: event.sequenceNr,
    event: undefined,
    timestamp: 0,
    tags: [],
    undeserializable: event as unknown as NonNullable<EventEnvelope['undeserializable']>,
  };
}
