import { backoffDelay } from './backoff.js';
import type { RestartStatistics } from './restart-statistics.js';
import { type Directive, SupervisorStrategy } from './supervisor-strategy.js';

/** What a parent does about one failed child, and why. */
export interface SupervisionDecision {
  /** The strategy the decision was made under; its `scope` says which children the directive reaches. */
  readonly strategy: SupervisorStrategy;
  readonly directive: Directive;
  /** Delay before a backoff restart; 0 means at once. */
  readonly delayMs: number;
  /** True when the strategy said restart but its retry limit was used up, so the child stops instead. */
  readonly limitReached: boolean;
  /** Set when the strategy itself threw (choosing it, or its decider): the failure escalates. */
  readonly strategyFailure: { readonly error: unknown } | undefined;
}

/**
 * Decides what to do with a failed child: asks the strategy's decider about `error`,
 * then turns a restart into a stop once the retry limit of the window is used up, and
 * computes the backoff delay. A pure function of its inputs (it records the restart in
 * `restarts`, the child's own bookkeeping), kept apart from the actor cell so the
 * supervision rules can be tested as a table, without actors or timers.
 *
 * A decider that throws must not wedge the child: the failure escalates, as in Akka.
 */
export function decideSupervision(strategy: SupervisorStrategy, error: unknown, restarts: RestartStatistics, now: number): SupervisionDecision {
  let directive: Directive;
  try {
    directive = strategy.decider(error);
  } catch (deciderError) {
    return brokenStrategyDecision(deciderError);
  }
  if (directive !== 'restart') return { strategy, directive, delayMs: 0, limitReached: false, strategyFailure: undefined };
  const attempt = restarts.requestRestart(strategy, now);
  if (attempt < 0) return { strategy, directive: 'stop', delayMs: 0, limitReached: true, strategyFailure: undefined };
  const delayMs = strategy.backoff === undefined ? 0 : backoffDelay(attempt, strategy.backoff);
  return { strategy, directive, delayMs, limitReached: false, strategyFailure: undefined };
}

/**
 * The decision when the supervisor's strategy could not be consulted (choosing it threw,
 * or its decider did): escalate, logged under the default strategy.
 */
export function brokenStrategyDecision(error: unknown): SupervisionDecision {
  return { strategy: SupervisorStrategy.default, directive: 'escalate', delayMs: 0, limitReached: false, strategyFailure: { error } };
}
