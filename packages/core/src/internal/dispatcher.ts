import { RingBuffer } from './ring-buffer.js';

/** A unit of work the dispatcher runs: an actor cell with messages to process. */
export interface Runnable {
  /** Processes up to `budget` messages; returns how many it processed. */
  run(budget: number): number;
}

/** How often (in processed messages) the run loop looks at the clock. */
const CLOCK_CHECK_EVERY = 1024;

/**
 * The run queue of one actor system. Actors with work wait here in FIFO order; each
 * gets at most `throughput` messages per turn so no actor hogs the loop. Runs start
 * on a microtask (low latency for ask) until the current time slice is used up; then
 * the dispatcher yields with setImmediate so timers, sockets and other I/O stay live
 * however busy the actors are.
 */
export class Dispatcher {
  private readonly queue = new RingBuffer<Runnable>(64);
  /** The run requested and not started yet: none, on a microtask, or (after a full slice) on setImmediate. */
  private pending: 'none' | 'microtask' | 'macrotask' = 'none';
  private running = false;
  /** An inbound frame is being delivered: runs wait for `endInbound` (see there). */
  private holding = false;
  private sliceStart = -Infinity;
  /** An inbound frame of the current I/O callback has started a slice (cleared by the microtask after the callback). */
  private sliceStartedInCallback = false;
  private readonly callbackEnded = (): void => {
    this.sliceStartedInCallback = false;
  };

  constructor(
    private readonly throughput: number,
    private readonly timeSliceMs: number,
  ) {}

  /** Queues `runnable` for a turn. The caller guarantees it is not already queued. */
  schedule(runnable: Runnable): void {
    this.queue.push(runnable);
    if (this.pending === 'none' && !this.running && !this.holding) this.request();
  }

  /**
   * A transport starts delivering an inbound frame, in the I/O callback that read it.
   * The event loop has come round to I/O, so the first frame of a callback starts a new
   * time slice (ws reads every frame of a chunk in one callback: the slice spans them
   * all); the actors the frame wakes wait for `endInbound` instead of a microtask each.
   */
  beginInbound(): void {
    this.holding = true;
    if (!this.sliceStartedInCallback) {
      this.sliceStartedInCallback = true;
      this.sliceStart = performance.now();
      // Microtasks run once the callback returns: the next callback starts a slice of its own.
      queueMicrotask(this.callbackEnded);
    }
  }

  /**
   * The frame has been delivered: runs the actors it woke now, on the caller's stack, so
   * their replies can leave before the I/O callback unwinds. Does nothing inside a run
   * (that run takes them). Once the slice is used up, it yields instead: the run goes to
   * setImmediate, as after any full slice.
   */
  endInbound(): void {
    this.holding = false;
    if (this.running || this.pending === 'macrotask' || this.queue.size === 0) return;
    if (performance.now() - this.sliceStart < this.timeSliceMs) {
      this.runQueue();
      return;
    }
    this.pending = 'macrotask';
    setImmediate(this.runOnMacrotask);
  }

  private request(): void {
    if (performance.now() - this.sliceStart < this.timeSliceMs) {
      this.pending = 'microtask';
      queueMicrotask(this.runOnMicrotask);
    } else {
      this.pending = 'macrotask';
      setImmediate(this.runOnMacrotask);
    }
  }

  private readonly runOnMacrotask = (): void => {
    this.sliceStart = performance.now();
    if (this.pending === 'macrotask') this.runQueue();
  };

  private readonly runOnMicrotask = (): void => {
    // Already run by `endInbound`, or superseded by a yield: nothing to do.
    if (this.pending === 'microtask') this.runQueue();
  };

  private runQueue(): void {
    this.pending = 'none';
    this.running = true;
    const queue = this.queue;
    const throughput = this.throughput;
    let sinceCheck = 0;
    try {
      while (queue.size > 0) {
        sinceCheck += queue.shift().run(throughput) + 1;
        if (sinceCheck >= CLOCK_CHECK_EVERY) {
          sinceCheck = 0;
          if (performance.now() - this.sliceStart >= this.timeSliceMs) break;
        }
      }
    } finally {
      this.running = false;
    }
    if (queue.size > 0) {
      // The slice is used up: yield to the event loop before the next run.
      this.pending = 'macrotask';
      setImmediate(this.runOnMacrotask);
    }
  }
}
