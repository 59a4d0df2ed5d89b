import { DuplicateCoreError } from '../errors.js';

/** Where the first copy of core that created a system lives; shared across copies through the global symbol registry. */
const LOADED_FROM = Symbol.for('@troupe/core:loaded-from');

/**
 * Refuses a second copy of `@troupe/core` in one process: the first copy that creates an
 * actor system records where it was loaded from, and a system created by a copy loaded
 * from anywhere else fails with `DuplicateCoreError` naming both places.
 */
export function assertSingleCoreCopy(here: string): void {
  const registry = globalThis as unknown as Record<symbol, string | undefined>;
  const first = registry[LOADED_FROM];
  if (first === undefined) registry[LOADED_FROM] = here;
  else if (first !== here) throw new DuplicateCoreError(first, here);
}
