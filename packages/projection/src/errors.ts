import { TroupeError } from '@troupe/core';

/** Base class of the runtime errors a projection raises; switch on `code`. */
export class ProjectionError extends TroupeError {}

/**
 * An event the projection's `decode` could not turn into what the handler expects.
 * Names the event by persistence id and sequence number so it can be found and fixed.
 */
export class UndecodableEventError extends ProjectionError {
  constructor(
    /** Name of the projection that met the event. */
    readonly projection: string,
    readonly persistenceId: string,
    readonly sequenceNr: number,
    readonly offset: number,
    cause: unknown,
  ) {
    super('ERR_PROJECTION_UNDECODABLE_EVENT', `projection ${projection}: cannot decode event ${persistenceId}#${sequenceNr} (offset ${offset}): ${describe(cause)}`, { cause });
  }
}

/** The projection failed more than `maxRestarts` times in a row and gave up. */
export class ProjectionRestartsExhaustedError extends ProjectionError {
  constructor(projection: string, restarts: number, cause: unknown) {
    super('ERR_PROJECTION_RESTARTS_EXHAUSTED', `projection ${projection} failed after ${restarts} restarts: ${describe(cause)}`, { cause });
  }
}

/** Reading or writing an offset failed. */
export class OffsetStoreError extends ProjectionError {
  constructor(operation: string, projection: string, cause: unknown) {
    super('ERR_PROJECTION_OFFSET_STORE', `offset store: ${operation} for ${projection} failed: ${describe(cause)}`, { cause });
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
