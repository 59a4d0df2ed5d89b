/** A scheduled callback that can be cancelled. Cancelling twice is harmless. */
export interface Cancellable {
  cancel(): void;
}

/**
 * The source of time for timers, ask timeouts, backoff and heartbeats. The system
 * reads it instead of the global timers so tests can run on a manual clock
 * (`ManualClock` in `@troupe/testkit`).
 */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are meaningful. */
  now(): number;
  /** Runs `callback` once, after at least `delayMs`. */
  schedule(delayMs: number, callback: () => void): Cancellable;
}

/** The real clock: `performance.now()` and Node's timers. */
export class SystemClock implements Clock {
  now(): number {
    return performance.now();
  }

  schedule(delayMs: number, callback: () => void): Cancellable {
    const handle = setTimeout(callback, delayMs);
    return { cancel: () => clearTimeout(handle) };
  }
}
