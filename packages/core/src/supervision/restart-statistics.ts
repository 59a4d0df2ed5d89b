import type { SupervisorStrategy } from './supervisor-strategy.js';

/**
 * Per-child bookkeeping of restarts, kept by the child's cell: how many restarts fell
 * in the current window, and which backoff attempt comes next.
 */
export class RestartStatistics {
  private windowStart = 0;
  private restartsInWindow = 0;
  private backoffAttempt = 0;
  private lastRestartAt = -Infinity;

  /**
   * Records a restart at `now` and says whether it is allowed under the strategy's
   * limits. Returns the backoff attempt number (0-based) or -1 when the limit is hit.
   */
  requestRestart(strategy: SupervisorStrategy, now: number): number {
    if (strategy.backoff !== undefined) {
      // A child that ran stably for resetAfterMs starts its backoff from scratch.
      if (now - this.lastRestartAt >= strategy.backoff.resetAfterMs) {
        this.backoffAttempt = 0;
        this.restartsInWindow = 0;
      }
      this.lastRestartAt = now;
      if (strategy.maxRetries >= 0 && this.restartsInWindow >= strategy.maxRetries) return -1;
      this.restartsInWindow++;
      return this.backoffAttempt++;
    }
    if (strategy.maxRetries < 0) return 0;
    if (now - this.windowStart > strategy.withinMs || this.restartsInWindow === 0) {
      this.windowStart = now;
      this.restartsInWindow = 0;
    }
    if (this.restartsInWindow >= strategy.maxRetries) return -1;
    this.restartsInWindow++;
    return 0;
  }
}
