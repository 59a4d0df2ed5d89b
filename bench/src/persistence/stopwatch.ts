import { type Sample, perSecond } from '../core/measurement.js';

/**
 * Wall clock and process CPU time over one timed section. On a shared machine the
 * wall-clock rate swings with other processes' load; events per CPU-second (user +
 * system time of all of this process's threads, GC helpers included) swings less, so
 * both are reported.
 */
export class Stopwatch {
  private readonly startedAt = performance.now();
  private readonly cpuAtStart = process.cpuUsage();

  /** `rate` (events per wall-clock second) and `cpuRate` (events per CPU-second) for `events` events since construction. */
  stop(events: number): Sample & { readonly rate: number; readonly cpuRate: number } {
    const ms = performance.now() - this.startedAt;
    const cpu = process.cpuUsage(this.cpuAtStart);
    return { rate: perSecond(events, ms), cpuRate: perSecond(events, (cpu.user + cpu.system) / 1000) };
  }
}
