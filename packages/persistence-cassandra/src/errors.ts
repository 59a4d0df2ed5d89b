import { TroupeError } from '@troupe/core';

/**
 * No Cassandra node answered at connection time. The message names every contact point
 * tried (`host:port`) and what each one answered; `cause` is the driver's error.
 */
export class CassandraUnreachableError extends TroupeError {
  constructor(
    /** The `host:port` addresses tried. */
    readonly contactPoints: readonly string[],
    cause: unknown,
  ) {
    super('ERR_CASSANDRA_UNREACHABLE', `cannot reach Cassandra at ${contactPoints.join(', ')}: ${describeDriverError(cause)}`, { cause });
  }
}

/** Creating the keyspace or tables (`createSchema`) failed, or they are missing when it is off. */
export class CassandraSchemaError extends TroupeError {
  constructor(message: string, cause?: unknown) {
    super('ERR_CASSANDRA_SCHEMA', message, cause === undefined ? undefined : { cause });
  }
}

/** A write was refused before reaching Cassandra (too many events or bytes); nothing of it was stored. */
export class CassandraWriteRejectedError extends TroupeError {
  constructor(message: string) {
    super('ERR_CASSANDRA_WRITE_REJECTED', message);
  }
}

/** The driver's message, with the per-host errors of a NoHostAvailableError spelled out. */
export function describeDriverError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const inner = (error as { innerErrors?: Record<string, unknown> }).innerErrors;
  if (inner !== undefined && inner !== null && typeof inner === 'object' && Object.keys(inner).length > 0) {
    return Object.entries(inner)
      .map(([host, hostError]) => `${host}: ${hostError instanceof Error ? hostError.message : String(hostError)}`)
      .join('; ');
  }
  return `${error.name}: ${error.message}`;
}

/**
 * A conditional write, seal or claim (lightweight transactions) found the partition's
 * single-writer state changing on every attempt and gave up: another writer of the same
 * persistence id is busy in it. The outcome is a failure, not a rejection: the actor's
 * backoff restart recovers (claims again) and goes on.
 */
export class CassandraContendedError extends TroupeError {
  constructor(
    /** The id whose partition kept changing; '' when `what` names the partition itself (an ordered log's block). */
    persistenceId: string,
    what: string,
    attempts: number,
    /** The likely cause, shown in the message. */
    why = 'is another writer busy with this persistence id?',
  ) {
    super('ERR_CASSANDRA_CONTENDED', `${what}${persistenceId === '' ? '' : ` of "${persistenceId}"`} found the partition state changing ${attempts} times in a row; giving up (${why})`);
  }
}

/** A write's events are stored, but their log entries could not be appended; the id's next recovery appends them. */
export class CassandraTagLogError extends TroupeError {
  constructor(persistenceId: string, reason: string, cause?: unknown) {
    super(
      'ERR_CASSANDRA_TAG_LOG',
      `the events of "${persistenceId}" are stored, but their tag-log entries were not appended (${reason}); the next recovery of the id appends them`,
      cause === undefined ? undefined : { cause },
    );
  }
}
