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
  private pending = false;
  private running = false;
  private sliceStart = -Infinity;

  constructor(
    private readonly throughput: number,
    private readonly timeSliceMs: number,
  ) {}

  /** Queues `runnable` for a turn. The caller guarantees it is not already queued. */
  schedule(runnable: Runnable): void {
    this.queue.push(runnable);
    if (!this.pending && !this.running) this.request();
  }

  private request(): void {
    this.pending = true;
    if (performance.now() - this.sliceStart < this.timeSliceMs) queueMicrotask(this.runOnMicrotask);
    else setImmediate(this.runOnMacrotask);
  }

  private readonly runOnMacrotask = (): void => {
    this.sliceStart = performance.now();
    this.runQueue();
  };

  private readonly runOnMicrotask = (): void => {
    this.runQueue();
  };

  private runQueue(): void {
    this.pending = false;
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
      this.pending = true;
      setImmediate(this.runOnMacrotask);
    }
  }
}
