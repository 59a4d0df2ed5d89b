/** Exponential backoff with jitter, as used by `SupervisorStrategy.restartWithBackoff`. */
export interface BackoffOptions {
  /** Delay before the first restart, in ms. @default 200 */
  readonly minBackoffMs?: number;
  /** Upper bound of the delay, in ms. @default 30000 */
  readonly maxBackoffMs?: number;
  /** Up to this fraction of the delay is added at random, so restarts of many actors spread out. @default 0.2 */
  readonly randomFactor?: number;
  /** After running this long without failing, the next failure starts again at `minBackoffMs`. @default maxBackoffMs */
  readonly resetAfterMs?: number;
}

/** Backoff options with every default applied and validated. */
export interface ResolvedBackoff {
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly randomFactor: number;
  readonly resetAfterMs: number;
}

/** Applies defaults and checks ranges, naming the bad field. */
export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const minBackoffMs = options.minBackoffMs ?? 200;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const randomFactor = options.randomFactor ?? 0.2;
  const resetAfterMs = options.resetAfterMs ?? maxBackoffMs;
  if (!(Number.isFinite(minBackoffMs) && minBackoffMs >= 0)) throw new RangeError(`backoff: minBackoffMs must be a finite number >= 0, got ${minBackoffMs}`);
  if (!(Number.isFinite(maxBackoffMs) && maxBackoffMs >= minBackoffMs)) throw new RangeError(`backoff: maxBackoffMs must be a finite number >= minBackoffMs (${minBackoffMs}), got ${maxBackoffMs}`);
  if (!(randomFactor >= 0 && randomFactor <= 1)) throw new RangeError(`backoff: randomFactor must be between 0 and 1, got ${randomFactor}`);
  if (!(resetAfterMs > 0)) throw new RangeError(`backoff: resetAfterMs must be > 0, got ${resetAfterMs}`);
  return { minBackoffMs, maxBackoffMs, randomFactor, resetAfterMs };
}

/**
 * Delay before restart number `attempt` (0-based): `min * 2^attempt`, capped at `max`,
 * plus up to `randomFactor` of itself at random.
 */
export function backoffDelay(attempt: number, backoff: ResolvedBackoff, random: () => number = Math.random): number {
  const exponential = Math.min(backoff.maxBackoffMs, backoff.minBackoffMs * 2 ** Math.min(attempt, 30));
  return Math.min(backoff.maxBackoffMs, exponential * (1 + random() * backoff.randomFactor));
}
