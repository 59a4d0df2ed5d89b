import type { ProjectionId } from './projection-id.js';

/**
 * Where a projection keeps the offset of the last envelope it handled, per projection
 * id. Offsets only move forward while running; `saveOffset` with a lower offset is a
 * management decision (rewind) and is stored as given.
 */
export interface OffsetStore {
  /** The stored offset, or `undefined` when none is stored (start from the beginning). */
  readOffset(id: ProjectionId): Promise<number | undefined>;
  /** Stores `offset` durably (as durable as the store promises) before resolving. */
  saveOffset(id: ProjectionId, offset: number): Promise<void>;
  /** Forgets the offset, so the projection starts again from the beginning. */
  clearOffset(id: ProjectionId): Promise<void>;
}

/**
 * An offset store that can also hold the handler's writes: `withTransaction` runs the
 * handler and `saveOffsetIn` in one transaction, so the sink and the offset are
 * committed together or not at all (exactly-once).
 */
export interface TransactionalOffsetStore<Tx> extends OffsetStore {
  /**
   * Runs `work` in one transaction: commits when it resolves, rolls back when it
   * throws or rejects (and rethrows). Transactions of one store never overlap.
   */
  withTransaction<T>(work: (tx: Tx) => T | Promise<T>): Promise<T>;
  /** Writes the offset inside the transaction `tx` given to `withTransaction`'s work. */
  saveOffsetIn(tx: Tx, id: ProjectionId, offset: number): void;
}

/** Checks an offset before it is stored. @throws RangeError */
export function checkOffset(owner: string, offset: number): void {
  if (!(Number.isSafeInteger(offset) && offset >= 0)) throw new RangeError(`${owner}: offset must be an integer >= 0, got ${offset}`);
}
