import type { MailboxOptions } from './mailbox/mailbox.js';
import type { SupervisorStrategy } from './supervision/supervisor-strategy.js';

/** Options of `spawn`, on the system or on a context. */
export interface SpawnOptions {
  /**
   * Unique among the parent's live children; letters, digits, `-`, `_`, `.`, and not
   * starting with `$` (reserved for generated names). @default a generated `$…` name
   */
  readonly name?: string;
  /** Mailbox capacity and overflow policy. @default unbounded */
  readonly mailbox?: MailboxOptions;
  /**
   * How this child's failures are handled, overriding the parent's
   * `supervisorStrategy()` for this child (e.g. `SupervisorStrategy.restartWithBackoff()`).
   */
  readonly supervision?: SupervisorStrategy;
  /** Most messages `stash()` holds. @default 10000 */
  readonly stashCapacity?: number;
}

const NAME = /^[A-Za-z0-9_.-][A-Za-z0-9_.\-:@]*$/;

/** Throws a TypeError naming what is wrong with a child name. */
export function checkActorName(name: unknown): string {
  if (typeof name !== 'string') throw new TypeError(`spawn: name must be a string, got ${typeof name}`);
  if (!NAME.test(name)) {
    throw new TypeError(`spawn: name "${name}" is invalid: use letters, digits, '-', '_', '.', and do not start with '$'`);
  }
  return name;
}
