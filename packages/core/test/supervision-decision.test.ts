import { describe, expect, it } from 'vitest';
import { ActorInitializationError } from '../src/errors.js';
import { RestartStatistics } from '../src/supervision/restart-statistics.js';
import { brokenStrategyDecision, decideSupervision } from '../src/supervision/supervision-decision.js';
import { type Directive, SupervisorStrategy } from '../src/supervision/supervisor-strategy.js';

class TransientError extends Error {}
const boom = new Error('boom');
const transient = new TransientError('transient');
const initFailure = new ActorInitializationError('troupe://t/user/a', new Error('ctor'));

/** Resumes on transient errors, restarts otherwise: lets one child mix directives. */
const resumeTransient = (error: unknown): Directive => (error instanceof TransientError ? 'resume' : 'restart');

interface Failure {
  /** When the failure is reported, in ms on the caller's clock. */
  readonly at: number;
  readonly error: unknown;
}

interface Expected {
  readonly directive: Directive;
  readonly limitReached?: boolean;
  readonly delayMs?: number;
}

interface Row {
  readonly name: string;
  readonly strategy: SupervisorStrategy;
  /** Successive failures of one child, sharing its restart bookkeeping. */
  readonly failures: readonly Failure[];
  readonly expected: readonly Expected[];
}

const once = (error: unknown): Failure[] => [{ at: 0, error }];
const every10ms = (count: number, error: unknown = boom): Failure[] => Array.from({ length: count }, (_, i) => ({ at: i * 10, error }));

const ROWS: readonly Row[] = [
  // Strategy × error → directive.
  { name: 'default strategy restarts on an ordinary error', strategy: SupervisorStrategy.default, failures: once(boom), expected: [{ directive: 'restart' }] },
  { name: 'default strategy stops a child whose creation failed', strategy: SupervisorStrategy.default, failures: once(initFailure), expected: [{ directive: 'stop' }] },
  { name: 'default strategy restarts on a thrown non-Error value', strategy: SupervisorStrategy.default, failures: once('a string'), expected: [{ directive: 'restart' }] },
  { name: 'stopping strategy stops on any error', strategy: SupervisorStrategy.stopping, failures: once(boom), expected: [{ directive: 'stop' }] },
  { name: 'a resume decider resumes', strategy: SupervisorStrategy.oneForOne({ decider: () => 'resume' }), failures: once(boom), expected: [{ directive: 'resume' }] },
  { name: 'an escalate decider escalates', strategy: SupervisorStrategy.oneForOne({ decider: () => 'escalate' }), failures: once(boom), expected: [{ directive: 'escalate' }] },
  { name: 'all-for-one restarts like one-for-one', strategy: SupervisorStrategy.allForOne(), failures: once(boom), expected: [{ directive: 'restart' }] },
  { name: 'all-for-one stops a child whose creation failed', strategy: SupervisorStrategy.allForOne(), failures: once(initFailure), expected: [{ directive: 'stop' }] },
  { name: 'a decider picks by error class: transient', strategy: SupervisorStrategy.oneForOne({ decider: resumeTransient }), failures: once(transient), expected: [{ directive: 'resume' }] },
  { name: 'a decider picks by error class: other', strategy: SupervisorStrategy.oneForOne({ decider: resumeTransient }), failures: once(boom), expected: [{ directive: 'restart' }] },

  // Retry window.
  {
    name: 'restarts up to maxRetries within the window, then stops',
    strategy: SupervisorStrategy.oneForOne({ maxRetries: 2, withinMs: 1_000 }),
    failures: every10ms(3),
    expected: [{ directive: 'restart' }, { directive: 'restart' }, { directive: 'stop', limitReached: true }],
  },
  {
    name: 'a failure after the window has passed starts a new window',
    strategy: SupervisorStrategy.oneForOne({ maxRetries: 2, withinMs: 1_000 }),
    failures: [
      { at: 0, error: boom },
      { at: 10, error: boom },
      { at: 1_500, error: boom },
      { at: 1_510, error: boom },
      { at: 1_520, error: boom },
    ],
    expected: [{ directive: 'restart' }, { directive: 'restart' }, { directive: 'restart' }, { directive: 'restart' }, { directive: 'stop', limitReached: true }],
  },
  { name: 'maxRetries 0 stops at the first failure', strategy: SupervisorStrategy.oneForOne({ maxRetries: 0 }), failures: once(boom), expected: [{ directive: 'stop', limitReached: true }] },
  {
    name: 'maxRetries -1 restarts without limit',
    strategy: SupervisorStrategy.oneForOne({ maxRetries: -1, withinMs: 1_000 }),
    failures: every10ms(50),
    expected: Array.from({ length: 50 }, () => ({ directive: 'restart' as const })),
  },
  {
    name: 'resumes do not count against the restart limit',
    strategy: SupervisorStrategy.oneForOne({ decider: resumeTransient, maxRetries: 1, withinMs: 1_000 }),
    failures: [
      { at: 0, error: transient },
      { at: 10, error: transient },
      { at: 20, error: boom },
      { at: 30, error: transient },
      { at: 40, error: boom },
    ],
    expected: [{ directive: 'resume' }, { directive: 'resume' }, { directive: 'restart' }, { directive: 'resume' }, { directive: 'stop', limitReached: true }],
  },
  {
    name: 'all-for-one counts restarts against its limit too',
    strategy: SupervisorStrategy.allForOne({ maxRetries: 1, withinMs: 1_000 }),
    failures: every10ms(2),
    expected: [{ directive: 'restart' }, { directive: 'stop', limitReached: true }],
  },

  // Backoff.
  {
    name: 'backoff doubles the delay per restart up to the maximum',
    strategy: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 100, maxBackoffMs: 1_000, randomFactor: 0, resetAfterMs: 60_000 }),
    failures: every10ms(6),
    expected: [100, 200, 400, 800, 1_000, 1_000].map((delayMs) => ({ directive: 'restart' as const, delayMs })),
  },
  {
    name: 'backoff starts over after the child ran for resetAfterMs without failing',
    strategy: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 100, maxBackoffMs: 1_000, randomFactor: 0, resetAfterMs: 500 }),
    failures: [
      { at: 0, error: boom },
      { at: 10, error: boom },
      { at: 1_000, error: boom },
    ],
    expected: [
      { directive: 'restart', delayMs: 100 },
      { directive: 'restart', delayMs: 200 },
      { directive: 'restart', delayMs: 100 },
    ],
  },
  {
    name: 'backoff stops after maxRetries restarts since the last reset',
    strategy: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 100, maxBackoffMs: 1_000, randomFactor: 0, resetAfterMs: 500, maxRetries: 2 }),
    failures: every10ms(3),
    expected: [
      { directive: 'restart', delayMs: 100 },
      { directive: 'restart', delayMs: 200 },
      { directive: 'stop', delayMs: 0, limitReached: true },
    ],
  },
  {
    name: 'backoff restarts even a child whose creation failed',
    strategy: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 100, randomFactor: 0 }),
    failures: once(initFailure),
    expected: [{ directive: 'restart', delayMs: 100 }],
  },
];

describe('decideSupervision', () => {
  it.each(ROWS)('$name', ({ strategy, failures, expected }) => {
    expect(failures).toHaveLength(expected.length);
    const restarts = new RestartStatistics();
    const decisions = failures.map(({ at, error }) => decideSupervision(strategy, error, restarts, at));
    decisions.forEach((decision, i) => {
      const want = expected[i] as Expected;
      expect({ failure: i, directive: decision.directive }).toEqual({ failure: i, directive: want.directive });
      expect(decision.limitReached).toBe(want.limitReached ?? false);
      if (want.delayMs !== undefined) expect(decision.delayMs).toBe(want.delayMs);
      else expect(decision.delayMs).toBe(0);
      expect(decision.strategy).toBe(strategy);
      expect(decision.strategyFailure).toBeUndefined();
    });
  });

  it('keeps the backoff delay within randomFactor above the exponential delay', () => {
    const strategy = SupervisorStrategy.restartWithBackoff({ minBackoffMs: 100, maxBackoffMs: 10_000, randomFactor: 0.5 });
    const restarts = new RestartStatistics();
    for (const [i, base] of [100, 200, 400].entries()) {
      const { directive, delayMs } = decideSupervision(strategy, boom, restarts, i * 10);
      expect(directive).toBe('restart');
      expect(delayMs).toBeGreaterThanOrEqual(base);
      expect(delayMs).toBeLessThanOrEqual(base * 1.5);
    }
  });

  it('escalates under the default strategy when the decider throws', () => {
    const deciderError = new Error('decider broke');
    const strategy = SupervisorStrategy.oneForOne({
      decider: () => {
        throw deciderError;
      },
    });
    const decision = decideSupervision(strategy, boom, new RestartStatistics(), 0);
    expect(decision).toEqual({ strategy: SupervisorStrategy.default, directive: 'escalate', delayMs: 0, limitReached: false, strategyFailure: { error: deciderError } });
  });

  it('records nothing against the restart limit when the directive is not restart', () => {
    const restarts = new RestartStatistics();
    const resuming = SupervisorStrategy.oneForOne({ decider: () => 'resume', maxRetries: 1, withinMs: 1_000 });
    for (let i = 0; i < 5; i++) decideSupervision(resuming, boom, restarts, i);
    const restarting = SupervisorStrategy.oneForOne({ maxRetries: 1, withinMs: 1_000 });
    expect(decideSupervision(restarting, boom, restarts, 10).directive).toBe('restart');
    expect(decideSupervision(restarting, boom, restarts, 20)).toMatchObject({ directive: 'stop', limitReached: true });
  });
});

describe('brokenStrategyDecision', () => {
  it('escalates under the default strategy and carries the error', () => {
    const error = new TypeError('supervisorStrategy() threw');
    expect(brokenStrategyDecision(error)).toEqual({ strategy: SupervisorStrategy.default, directive: 'escalate', delayMs: 0, limitReached: false, strategyFailure: { error } });
  });
});
