import type { ActorSystem } from '../actor-system.js';
import type { Clock } from '../clock.js';
import type { DeadLetterReason } from '../dead-letter.js';
import type { Logger } from '../logger.js';
import type { AskTimeouts } from './ask-timeouts.js';
import type { Dispatcher } from './dispatcher.js';
import type { TempRefs } from './temp-refs.js';

/** What cells need from their system; keeps cells free of a runtime import of ActorSystem. */
export interface SystemRuntime {
  readonly publicSystem: ActorSystem;
  readonly dispatcher: Dispatcher;
  readonly clock: Clock;
  /** Timeouts of pending asks. */
  readonly askTimeouts: AskTimeouts;
  /** Temporary refs of pending asks whose path was handed out (found by `resolveLocalRef`). */
  readonly tempRefs: TempRefs;
  readonly log: Logger;
  /** Address prefix of every path, e.g. `troupe://demo`. */
  readonly address: string;
  /** True once `terminate()` has finished. */
  readonly terminated: boolean;
  deadLetter(message: unknown, recipient: string, reason: DeadLetterReason): void;
  /** A name never handed out before in this system, for anonymous children. */
  nextAnonymousName(): string;
}
