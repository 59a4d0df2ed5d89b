/** Settings of the phi accrual failure detector. */
export interface PhiAccrualSettings {
  /** Suspicion level above which a node counts as unavailable. @default 8 */
  readonly threshold: number;
  /** Inter-arrival samples kept. @default 1000 */
  readonly maxSampleSize: number;
  /** Floor of the standard deviation, so a very regular history does not make phi jumpy. @default 100 ms */
  readonly minStdDeviationMs: number;
  /**
   * Extra silence tolerated on top of the mean interval. Generous by default because a
   * Node process can stall its event loop (GC, a long synchronous handler). @default 5000 ms
   */
  readonly acceptableHeartbeatPauseMs: number;
  /** Expected interval, used to seed the history at the first heartbeat. @default 1000 ms */
  readonly firstHeartbeatEstimateMs: number;
}

/**
 * The phi accrual failure detector (Hayashibara et al.; the formula of Akka's
 * `PhiAccrualFailureDetector`): phi = −log10(1 − F(time since last heartbeat)),
 * F the normal CDF fitted to the observed inter-arrival times. Time comes from the
 * caller, so it is testable with a manual clock.
 */
export class PhiAccrualFailureDetector {
  private readonly intervals: number[] = [];
  private sum = 0;
  private squaredSum = 0;
  private last: number | undefined;

  constructor(private readonly settings: PhiAccrualSettings) {}

  /** True once at least one heartbeat arrived. */
  get isMonitoring(): boolean {
    return this.last !== undefined;
  }

  /** Records a heartbeat arriving at `now`. */
  heartbeat(now: number): void {
    if (this.last === undefined) {
      // Seed the history with two samples around the estimate, as Akka does.
      const mean = this.settings.firstHeartbeatEstimateMs;
      const stdDev = mean / 4;
      this.add(mean - stdDev);
      this.add(mean + stdDev);
    } else {
      const interval = now - this.last;
      // Akka warns above 2/3 of the acceptable pause; we just record it.
      this.add(interval);
    }
    this.last = now;
  }

  /** The suspicion level at `now` (0 before the first heartbeat). */
  phi(now: number): number {
    if (this.last === undefined) return 0;
    const n = this.intervals.length;
    const mean = this.sum / n;
    const variance = Math.max(0, this.squaredSum / n - mean * mean);
    const stdDev = Math.max(Math.sqrt(variance), this.settings.minStdDeviationMs);
    return phiOf(now - this.last, mean + this.settings.acceptableHeartbeatPauseMs, stdDev);
  }

  /** True while phi is below the threshold (and before the first heartbeat). */
  isAvailable(now: number): boolean {
    return this.phi(now) < this.settings.threshold;
  }

  private add(interval: number): void {
    if (this.intervals.length >= this.settings.maxSampleSize) {
      const dropped = this.intervals.shift() as number;
      this.sum -= dropped;
      this.squaredSum -= dropped * dropped;
    }
    this.intervals.push(interval);
    this.sum += interval;
    this.squaredSum += interval * interval;
  }
}

/** Akka's logistic approximation of the normal CDF tail, as −log10. */
export function phiOf(timeDiff: number, mean: number, stdDev: number): number {
  const y = (timeDiff - mean) / stdDev;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  return timeDiff > mean ? -Math.log10(e / (1 + e)) : -Math.log10(1 - 1 / (1 + e));
}
