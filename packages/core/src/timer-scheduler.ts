import type { Cancellable, Clock } from './clock.js';
import type { Logger } from './logger.js';
import { Signal } from './internal/signal.js';

/**
 * Timers owned by one actor instance; every timer is cancelled when the actor stops or
 * restarts. They are bound to the instance: once it has been replaced by a restart or
 * has begun stopping, its `context.timers` start nothing (a start is ignored and logged
 * at debug level), cancel nothing of its successor's, and report no timer active — so a
 * late continuation of a failed instance never sends a timer message to the new one.
 */
export interface TimerScheduler<M> {
  /** Sends `message` to self once after `delayMs`; replaces a timer with the same key. */
  startSingleTimer(key: unknown, message: M, delayMs: number): void;
  /** Sends `message` to self every `intervalMs`; replaces a timer with the same key. */
  startPeriodicTimer(key: unknown, message: M, intervalMs: number): void;
  /** True while the timer with `key` is scheduled. */
  isTimerActive(key: unknown): boolean;
  /** Cancels the timer; a message it already queued is not delivered either. */
  cancel(key: unknown): void;
  /** Cancels every timer of this actor. */
  cancelAll(): void;
}

/** A timer's message on its way through the mailbox; dropped if the timer was cancelled meanwhile. */
export class TimerFired extends Signal {
  constructor(
    readonly timer: ActiveTimer,
    readonly message: unknown,
  ) {
    super();
  }
}

/** One scheduled timer. */
export class ActiveTimer {
  handle: Cancellable | undefined;
  constructor(
    readonly key: unknown,
    readonly intervalMs: number,
  ) {}
}

/** Where fired timers go: the owning cell. */
export interface TimerTarget {
  enqueueSignal(signal: Signal): void;
  /** True once the owner is stopping: no timer starts or re-arms after that. */
  readonly isStopping: boolean;
  /** The owner's path, for the log line of an ignored start. */
  readonly path: string;
  /** Where an ignored start is logged (debug level). */
  readonly log: Logger;
}

/** The timers of one actor instance, on the system's clock. */
export class ActorTimers<M> implements TimerScheduler<M> {
  private readonly timers = new Map<unknown, ActiveTimer>();
  /** Set when the instance is replaced or stops: from then on nothing starts. */
  private retired = false;

  constructor(
    private readonly clock: Clock,
    private readonly target: TimerTarget,
  ) {}

  startSingleTimer(key: unknown, message: M, delayMs: number): void {
    this.start(key, message, checkDelay('delayMs', delayMs), 0);
  }

  startPeriodicTimer(key: unknown, message: M, intervalMs: number): void {
    const interval = checkDelay('intervalMs', intervalMs);
    if (interval === 0) throw new RangeError('startPeriodicTimer: intervalMs must be > 0');
    this.start(key, message, interval, interval);
  }

  isTimerActive(key: unknown): boolean {
    return this.timers.has(key);
  }

  cancel(key: unknown): void {
    const timer = this.timers.get(key);
    if (timer === undefined) return;
    this.timers.delete(key);
    timer.handle?.cancel();
  }

  cancelAll(): void {
    for (const timer of this.timers.values()) timer.handle?.cancel();
    this.timers.clear();
  }

  /** Cancels every timer and ignores later starts: the owning instance is gone. */
  retire(): void {
    this.retired = true;
    this.cancelAll();
  }

  /** Whether a fired timer is still the live one for its key (it may have been cancelled or replaced). */
  accept(fired: TimerFired): boolean {
    if (this.timers.get(fired.timer.key) !== fired.timer) return false;
    if (fired.timer.intervalMs === 0) this.timers.delete(fired.timer.key);
    return true;
  }

  private start(key: unknown, message: M, delayMs: number, intervalMs: number): void {
    if (this.retired) {
      // Not a throw: a late continuation's throw would be lost in an ignored Promise or crash the process from a callback.
      this.target.log.debug(`${this.target.path}: ignored the start of timer ${describeKey(key)} by an instance that was restarted or stopped`, { key });
      return;
    }
    this.cancel(key);
    if (this.target.isStopping) return;
    const timer = new ActiveTimer(key, intervalMs);
    this.timers.set(key, timer);
    const fire = (): void => {
      if (this.timers.get(key) !== timer) return;
      if (this.target.isStopping) {
        this.timers.delete(key);
        return;
      }
      if (intervalMs > 0) timer.handle = this.clock.schedule(intervalMs, fire);
      this.target.enqueueSignal(new TimerFired(timer, message));
    };
    timer.handle = this.clock.schedule(delayMs, fire);
  }
}

function checkDelay(field: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`timer: ${field} must be a finite number >= 0, got ${value}`);
  return value;
}

function describeKey(key: unknown): string {
  return typeof key === 'string' ? `'${key}'` : typeof key === 'number' || typeof key === 'symbol' ? String(key) : `of type ${typeof key}`;
}
