/** Most ms of frame reading in one window before reading pauses for an event-loop turn. */
const READ_SLICE_MS = 4;
/** A frame that starts this long after the previous one ended starts a new window: the process waited, the loop turned. */
const READ_GAP_MS = 1;
/**
 * Share of a window's time spent reading at which a full slice pauses reading. Below it,
 * the process waited between frames (the loop kept turning), so a new window starts
 * instead: a peer in request–response (a remote ask: a few µs of reading every ~70 µs)
 * never pauses.
 */
const BUSY_SHARE = 0.75;

/**
 * Decides when reading one connection should pause for one event-loop turn, so that a
 * flooding peer cannot starve timers (heartbeats!) or other connections, and a peer that
 * sends faster than we consume is slowed by TCP, then by its own high-water mark. It
 * counts time spent reading frames (the caller passes the clock readings), so it costs
 * no timer per frame.
 */
export class ReadWindow {
  private windowStart = 0;
  private busy = 0;
  private lastFrameEnd = Number.NEGATIVE_INFINITY;

  /**
   * One frame was read from `start` to `end` (ms, `performance.now()`); true when
   * reading should pause now for one turn (then call `reset` when it resumes).
   */
  frameRead(start: number, end: number): boolean {
    if (start - this.lastFrameEnd > READ_GAP_MS) {
      this.windowStart = start;
      this.busy = 0;
    }
    this.lastFrameEnd = end;
    this.busy += end - start;
    if (this.busy < READ_SLICE_MS) return false;
    if (this.busy >= BUSY_SHARE * (end - this.windowStart)) return true;
    // A full slice of reading, but spread out with waits between: start a new window.
    this.windowStart = end;
    this.busy = 0;
    return false;
  }

  /** Reading resumed after a pause: the next frame starts a new window. */
  reset(): void {
    this.lastFrameEnd = Number.NEGATIVE_INFINITY;
  }
}
