import { ActorInitializationError } from '../errors.js';
import { type BackoffOptions, type ResolvedBackoff, resolveBackoff } from './backoff.js';

/** What a supervisor does with a failed child. */
export type Directive = 'resume' | 'restart' | 'stop' | 'escalate';

/** Maps a failure (a thrown value or a rejection reason) to a directive. */
export type Decider = (error: unknown) => Directive;

/** Options shared by one-for-one and all-for-one strategies. */
export interface StrategyOptions {
  /** Decides per error. @default restart, except `stop` for ActorInitializationError */
  readonly decider?: Decider;
  /** Restarts allowed within `withinMs` before the child is stopped; -1 = unlimited. @default -1 */
  readonly maxRetries?: number;
  /** Window for `maxRetries`, in ms. @default Infinity */
  readonly withinMs?: number;
  /** Log each failure at error level. @default true */
  readonly logFailures?: boolean;
}

/** Options of `SupervisorStrategy.restartWithBackoff`. */
export interface BackoffStrategyOptions extends BackoffOptions {
  /** Restarts allowed (counted since the last reset) before the child is stopped; -1 = unlimited. @default -1 */
  readonly maxRetries?: number;
  /** Log each failure at error level. @default true */
  readonly logFailures?: boolean;
}

/**
 * Restart unless the actor could not even be created: a constructor that keeps
 * throwing would otherwise spin forever (Akka's default does the same).
 */
export const defaultDecider: Decider = (error) => (error instanceof ActorInitializationError ? 'stop' : 'restart');

/**
 * How a parent treats failures of its children: one-for-one (only the failed child)
 * or all-for-one (every child), with retry limits and optional backoff. Immutable;
 * build with the static factories.
 *
 * @example
 * override supervisorStrategy() {
 *   return SupervisorStrategy.oneForOne({ maxRetries: 3, withinMs: 10_000 });
 * }
 */
export class SupervisorStrategy {
  private constructor(
    /** `one-for-one` applies the directive to the failed child only, `all-for-one` to all children. */
    readonly scope: 'one-for-one' | 'all-for-one',
    readonly decider: Decider,
    readonly maxRetries: number,
    readonly withinMs: number,
    readonly backoff: ResolvedBackoff | undefined,
    readonly logFailures: boolean,
  ) {}

  /** Applies the directive to the failed child only. */
  static oneForOne(options: StrategyOptions = {}): SupervisorStrategy {
    return SupervisorStrategy.build('one-for-one', options);
  }

  /** Applies the directive to every child of the parent. */
  static allForOne(options: StrategyOptions = {}): SupervisorStrategy {
    return SupervisorStrategy.build('all-for-one', options);
  }

  /**
   * One-for-one restart after an exponentially growing delay with jitter; the
   * child's mailbox is kept while it waits. The delay resets after the child has
   * run for `resetAfterMs` without failing.
   */
  static restartWithBackoff(options: BackoffStrategyOptions = {}): SupervisorStrategy {
    const maxRetries = options.maxRetries ?? -1;
    checkRetries(maxRetries);
    return new SupervisorStrategy('one-for-one', () => 'restart', maxRetries, Infinity, resolveBackoff(options), options.logFailures ?? true);
  }

  /** Stops a child on any failure. */
  static readonly stopping: SupervisorStrategy = SupervisorStrategy.oneForOne({ decider: () => 'stop' });

  /** The default for every parent: one-for-one, restart on failure, stop if creation failed. */
  static readonly default: SupervisorStrategy = SupervisorStrategy.oneForOne();

  private static build(scope: 'one-for-one' | 'all-for-one', options: StrategyOptions): SupervisorStrategy {
    const maxRetries = options.maxRetries ?? -1;
    const withinMs = options.withinMs ?? Infinity;
    checkRetries(maxRetries);
    if (!(withinMs > 0)) throw new RangeError(`SupervisorStrategy: withinMs must be > 0, got ${withinMs}`);
    const decider = options.decider ?? defaultDecider;
    if (typeof decider !== 'function') throw new TypeError('SupervisorStrategy: decider must be a function');
    return new SupervisorStrategy(scope, decider, maxRetries, withinMs, undefined, options.logFailures ?? true);
  }
}

function checkRetries(maxRetries: number): void {
  if (!Number.isInteger(maxRetries) || maxRetries < -1) throw new RangeError(`SupervisorStrategy: maxRetries must be an integer >= -1, got ${maxRetries}`);
}
