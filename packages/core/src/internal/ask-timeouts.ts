import type { Cancellable, Clock } from '../clock.js';

/** Something that can time out: a pending ask. */
export interface Expirable {
  /** Bucket it was filed under; set by AskTimeouts. */
  timeoutBucket: number;
  expire(): void;
  fail(error: unknown): void;
}

/** Width of a bucket in ms: timeouts fire up to this much late, never early. */
const BUCKET_MS = 10;

/**
 * Timeouts of all pending asks of one system, filed in 10 ms buckets under one clock
 * timer. A timer per ask (`setTimeout` + `clearTimeout`) was a third of the cost of a
 * sequential ask; filing into a Set and removing from it is not. Buckets stay allocated
 * until their time passes so back-to-back asks reuse them.
 */
export class AskTimeouts {
  private readonly buckets = new Map<number, Set<Expirable>>();
  private armed: Cancellable | undefined;
  private armedAt = Infinity;

  constructor(private readonly clock: Clock) {}

  add(entry: Expirable, timeoutMs: number): void {
    const at = Math.ceil((this.clock.now() + timeoutMs) / BUCKET_MS) * BUCKET_MS;
    entry.timeoutBucket = at;
    let bucket = this.buckets.get(at);
    if (bucket === undefined) {
      // Back-to-back asks land in the same bucket: reuse its Set instead of allocating one per ask.
      bucket = at === this.spareAt && this.spare !== undefined ? this.spare : new Set();
      this.buckets.set(at, bucket);
    }
    bucket.add(entry);
    if (at < this.armedAt) this.arm(at);
  }

  remove(entry: Expirable): void {
    const at = entry.timeoutBucket;
    const bucket = this.buckets.get(at);
    if (bucket === undefined || !bucket.delete(entry) || bucket.size > 0) return;
    // Empty buckets go at once, so long timeouts do not leave thousands of them to scan.
    this.buckets.delete(at);
    this.spare = bucket;
    this.spareAt = at;
  }

  private spare: Set<Expirable> | undefined;
  private spareAt = Number.NaN;

  /** Cancels the timer and fails every pending entry with `error` (the system terminated). */
  close(error: unknown): void {
    this.armed?.cancel();
    this.armed = undefined;
    this.armedAt = Infinity;
    const pending = [...this.buckets.values()];
    this.buckets.clear();
    for (const bucket of pending) for (const entry of bucket) entry.fail(error);
  }

  private arm(at: number): void {
    this.armed?.cancel();
    this.armedAt = at;
    this.armed = this.clock.schedule(Math.max(0, at - this.clock.now()), this.fire);
  }

  private readonly fire = (): void => {
    this.armed = undefined;
    this.armedAt = Infinity;
    const now = this.clock.now();
    let next = Infinity;
    let pending = false;
    for (const [at, bucket] of this.buckets) {
      if (at <= now) {
        this.buckets.delete(at);
        for (const entry of bucket) entry.expire();
      } else {
        if (at < next) next = at;
        if (bucket.size > 0) pending = true;
      }
    }
    // Only keep a timer (and so the process) alive while some ask is still pending.
    if (pending) this.arm(next);
    else this.buckets.clear();
  };
}
