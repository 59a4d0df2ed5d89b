import { JournalCallTimeoutError, JournalOverloadedError } from './errors.js';
import type { Journal } from './journal.js';
import type { AtomicWrite } from './persistent-repr.js';

/** Milliseconds of back-to-back microtask flushes before the batcher yields to the event loop. */
const TIME_SLICE_MS = 4;

/** Options of group commit, per journal. */
export interface BatchingOptions {
  /** Most atomic writes in one `writeMessages` call. @default 2000 */
  readonly maxBatchSize?: number;
  /** Most atomic writes waiting for the journal; beyond it writes fail with `JournalOverloadedError`. @default 100000 */
  readonly maxQueuedWrites?: number;
  /**
   * A `writeMessages` call unanswered after this long fails its writes with
   * `JournalCallTimeoutError` (as Akka's journal circuit-breaker call-timeout does), so
   * the actors fail and restart instead of hanging. The hung call keeps its slot of
   * `maxCallsInFlight` until it settles, and a recovering actor whose write it holds waits
   * for it, so nothing overtakes that write.
   * `Infinity` disables. @default 10000
   */
  readonly callTimeoutMs?: number;
  /**
   * Most `writeMessages` calls in flight at once. More than one keeps a remote journal
   * (Kafka, Cassandra) busy while the previous call's answer travels back; order per
   * persistence id is kept either way, since an actor has one write in flight at most.
   * @default 4
   */
  readonly maxCallsInFlight?: number;
}

/** One `writeMessages` call in flight. */
interface Call {
  readonly writes: AtomicWrite[];
  readonly callbacks: WriteCallback[];
  /** 1 at the index of each write whose outcome the journal already reported (`onWritten`). */
  readonly reported: Uint8Array;
  promise: Promise<readonly (Error | undefined)[]>;
  readonly startedAt: number;
  timedOut: boolean;
  /** The call's Promise settled: later reports are ignored. */
  settled: boolean;
  /** `writeMessages` returned: reports no longer arrive from inside that call. */
  returned: boolean;
}

/** Where the outcome of one queued atomic write goes. */
export interface WriteCallback {
  /** Stored (`undefined`) or rejected (the journal's error). */
  written(rejection: Error | undefined): void;
  /** The call failed as a whole (or never happened); the write may or may not be stored. */
  failed(error: unknown): void;
}

/**
 * Group commit: atomic writes submitted by any number of actors while the previous
 * call is in flight (or within the same tick) reach the journal as one
 * `writeMessages` call. Up to `maxCallsInFlight` calls run at once; writes that arrive
 * meanwhile wait, so the batch grows when the journal is slow and shrinks to one write
 * when it is fast. Each actor has at most one
 * write queued or in flight (the actor queues the rest), so per-id order is kept.
 *
 * A journal that reports outcomes early (`onWritten`, see `Journal`) has each one passed
 * on at once, so an actor whose write is stored continues without waiting for the
 * slowest write of its call; the call keeps its slot until it settles.
 */
export class JournalBatcher {
  private writes: AtomicWrite[] = [];
  private callbacks: WriteCallback[] = [];
  private readonly inFlight = new Set<Call>();
  private scheduled = false;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private readonly maxBatchSize: number;
  private readonly maxQueuedWrites: number;
  private readonly callTimeoutMs: number;
  private readonly maxCallsInFlight: number;

  constructor(
    private readonly journalId: string,
    private readonly journal: Journal,
    options: BatchingOptions = {},
  ) {
    this.maxBatchSize = options.maxBatchSize ?? 2000;
    this.maxQueuedWrites = options.maxQueuedWrites ?? 100_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.maxCallsInFlight = options.maxCallsInFlight ?? 4;
    if (!(Number.isInteger(this.maxCallsInFlight) && this.maxCallsInFlight > 0))
      throw new RangeError(`Persistence: batching.maxCallsInFlight must be a positive integer, got ${this.maxCallsInFlight}`);
    if (!(this.callTimeoutMs > 0)) throw new RangeError(`Persistence: batching.callTimeoutMs must be > 0 (or Infinity), got ${this.callTimeoutMs}`);
    if (!(Number.isInteger(this.maxBatchSize) && this.maxBatchSize > 0)) throw new RangeError(`Persistence: batching.maxBatchSize must be a positive integer, got ${this.maxBatchSize}`);
    if (!(Number.isInteger(this.maxQueuedWrites) && this.maxQueuedWrites >= this.maxBatchSize)) {
      throw new RangeError(`Persistence: batching.maxQueuedWrites must be an integer >= maxBatchSize, got ${this.maxQueuedWrites}`);
    }
  }

  /** Writes queued and not yet handed to the journal. */
  get queued(): number {
    return this.writes.length;
  }

  /**
   * Resolves once no timed-out call holding a write of `persistenceId` is still pending
   * (at once, `undefined`, in the usual case). Recovery awaits it, so it never reads the
   * highest sequence number while a write of the same id may still land.
   */
  settledFor(persistenceId: string): Promise<unknown> | undefined {
    for (const call of this.inFlight) {
      if (call.timedOut && call.writes.some((w) => w.persistenceId === persistenceId)) return call.promise.then(ignore, ignore);
    }
    return undefined;
  }

  /** Queues `write`; `callback` learns the outcome, always asynchronously. */
  submit(write: AtomicWrite, callback: WriteCallback): void {
    if (this.writes.length >= this.maxQueuedWrites) {
      const error = new JournalOverloadedError(this.journalId, this.maxQueuedWrites);
      queueMicrotask(() => callback.failed(error));
      return;
    }
    this.writes.push(write);
    this.callbacks.push(callback);
    if (this.inFlight.size < this.maxCallsInFlight && !this.scheduled) this.schedule();
  }

  /**
   * A microtask runs after the dispatcher's current run, so every actor that persisted
   * during that run joins the batch. But a journal that answers at once (in memory, or
   * synchronous SQLite) would then chain write → continuation → write on microtasks
   * forever and starve timers and I/O; after `timeSliceMs` we yield with setImmediate.
   */
  private schedule(): void {
    this.scheduled = true;
    if (performance.now() - this.sliceStart < TIME_SLICE_MS) queueMicrotask(this.flush);
    else setImmediate(this.flushOnMacrotask);
  }

  private sliceStart = -Infinity;

  private readonly flushOnMacrotask = (): void => {
    this.sliceStart = performance.now();
    this.flush();
  };

  private readonly flush = (): void => {
    this.scheduled = false;
    // More than maxBatchSize queued: fill every free slot now rather than one per settle.
    while (this.inFlight.size < this.maxCallsInFlight && this.writes.length > 0) this.startCall();
  };

  /** Hands the oldest queued writes (up to maxBatchSize) to the journal as one call. */
  private startCall(): void {
    let writes: AtomicWrite[];
    let callbacks: WriteCallback[];
    if (this.writes.length <= this.maxBatchSize) {
      writes = this.writes;
      callbacks = this.callbacks;
      this.writes = [];
      this.callbacks = [];
    } else {
      writes = this.writes.splice(0, this.maxBatchSize);
      callbacks = this.callbacks.splice(0, this.maxBatchSize);
    }
    const call: Call = { writes, callbacks, reported: new Uint8Array(writes.length), promise: NEVER, startedAt: performance.now(), timedOut: false, settled: false, returned: false };
    try {
      call.promise = this.journal.writeMessages(writes, (index, rejection) => report(this.journalId, call, index, rejection));
    } catch (error) {
      call.promise = Promise.reject(error);
    }
    call.returned = true;
    const promise = call.promise;
    this.inFlight.add(call);
    if (this.watchdog === undefined && this.callTimeoutMs !== Infinity) this.armWatchdog(this.callTimeoutMs);
    promise.then(
      (results) => {
        call.settled = true;
        this.inFlight.delete(call);
        if (!call.timedOut) deliver(this.journalId, call, results);
        this.next();
      },
      (error: unknown) => {
        call.settled = true;
        this.inFlight.delete(call);
        if (!call.timedOut) failUnreported(call, error);
        this.next();
      },
    );
  }

  /** One timer per batcher, re-armed lazily, instead of one per call. */
  private armWatchdog(delayMs: number): void {
    this.watchdog = setTimeout(this.checkWatchdog, delayMs);
    this.watchdog.unref?.();
  }

  private readonly checkWatchdog = (): void => {
    this.watchdog = undefined;
    const now = performance.now();
    let nextDue = Infinity;
    for (const call of this.inFlight) {
      if (call.timedOut) continue;
      const elapsed = now - call.startedAt;
      if (elapsed < this.callTimeoutMs) nextDue = Math.min(nextDue, this.callTimeoutMs - elapsed);
      else {
        call.timedOut = true;
        failUnreported(call, new JournalCallTimeoutError(this.journalId, this.callTimeoutMs));
      }
    }
    if (nextDue !== Infinity) this.armWatchdog(nextDue);
  };

  private next(): void {
    if (this.writes.length > 0 && !this.scheduled) this.schedule();
  }
}

/**
 * Passes on an outcome the journal reported before its call settled (once per write).
 * @throws RangeError back into the journal when it names a write it was not given
 */
function report(journalId: string, call: Call, index: number, rejection: Error | undefined): void {
  if (!(Number.isInteger(index) && index >= 0 && index < call.writes.length)) {
    throw new RangeError(`journal "${journalId}" reported write ${index} of a call with ${call.writes.length} writes`);
  }
  if (call.timedOut || call.settled || call.reported[index] === 1) return;
  call.reported[index] = 1;
  const callback = call.callbacks[index] as WriteCallback;
  const outcome = rejection === undefined || rejection === null ? undefined : toError(rejection);
  // Never run an actor's callback inside the journal's writeMessages call itself.
  if (call.returned) written(callback, outcome);
  else queueMicrotask(() => written(callback, outcome));
}

function deliver(journalId: string, call: Call, results: readonly (Error | undefined)[]): void {
  const { writes, callbacks, reported } = call;
  if (!Array.isArray(results) || results.length !== writes.length) {
    failUnreported(call, new TypeError(`journal "${journalId}" returned ${Array.isArray(results) ? results.length : typeof results} results for ${writes.length} writes`));
    return;
  }
  for (let i = 0; i < callbacks.length; i++) {
    if (reported[i] === 1) continue;
    const result = results[i];
    written(callbacks[i] as WriteCallback, result === undefined || result === null ? undefined : toError(result));
  }
}

function written(callback: WriteCallback, rejection: Error | undefined): void {
  try {
    callback.written(rejection);
  } catch (error) {
    reportLater(error);
  }
}

function ignore(): void {}

/** Placeholder until `writeMessages` returned (a report may arrive while it runs). */
const NEVER: Promise<never> = new Promise<never>(() => {});

/** Fails the writes of a call whose outcome the journal did not report early. */
function failUnreported(call: Call, error: unknown): void {
  const { callbacks, reported } = call;
  for (let i = 0; i < callbacks.length; i++) {
    if (reported[i] === 1) continue;
    try {
      (callbacks[i] as WriteCallback).failed(error);
    } catch (thrown) {
      reportLater(thrown);
    }
  }
}

/** One writer's callback throwing must not keep the others of the batch from hearing back. */
function reportLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
