import type { ResolvedRestartBackoff } from '../projection-settings.js';

/**
 * Delay before restart number `attempt` (0-based): `min * 2^attempt` capped at `max`,
 * plus up to `randomFactor` of itself, capped at `max` again. The same rule as the
 * supervisor's backoff in @troupe/core, which does not export its helper.
 */
export function restartDelay(attempt: number, backoff: ResolvedRestartBackoff, random: () => number = Math.random): number {
  const exponential = Math.min(backoff.maxBackoffMs, backoff.minBackoffMs * 2 ** Math.min(attempt, 30));
  return Math.min(backoff.maxBackoffMs, exponential * (1 + random() * backoff.randomFactor));
}
