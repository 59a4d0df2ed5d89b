import type { Cancellable, Clock } from '@troupe/core';

interface Task {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. Give it to `ActorSystem.create({ clock })`
 * and drive timers, ask timeouts and backoff from the test with `advance`.
 *
 * @example
 * const clock = new ManualClock();
 * const system = ActorSystem.create({ clock });
 * clock.advance(1_000); // fires every timer due within the next second, in order
 */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private tasks: Task[] = [];

  constructor(startMs = 0) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  schedule(delayMs: number, callback: () => void): Cancellable {
    const task: Task = { at: this.time + Math.max(0, delayMs), seq: this.seq++, callback, cancelled: false };
    this.tasks.push(task);
    return {
      cancel: () => {
        task.cancelled = true;
      },
    };
  }

  /** Timers scheduled and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.tasks.filter((task) => !task.cancelled).length;
  }

  /**
   * Moves time forward by `ms`, running every callback that falls due, earliest
   * first (ties in scheduling order), including ones scheduled while advancing.
   */
  advance(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`ManualClock.advance: ms must be a finite number >= 0, got ${ms}`);
    const until = this.time + ms;
    for (;;) {
      let next: Task | undefined;
      for (const task of this.tasks) {
        if (task.cancelled || task.at > until) continue;
        if (next === undefined || task.at < next.at || (task.at === next.at && task.seq < next.seq)) next = task;
      }
      if (next === undefined) break;
      this.tasks = this.tasks.filter((task) => task !== next && !task.cancelled);
      this.time = next.at;
      next.callback();
    }
    this.time = until;
  }
}
