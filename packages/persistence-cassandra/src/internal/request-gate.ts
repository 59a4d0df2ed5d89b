/**
 * Caps the driver requests one journal or snapshot store has in flight. The driver fails a
 * request outright (BusyConnectionError, then NoHostAvailableError) once a connection
 * carries 2048, which thousands of actors recovering at once reach easily; past the cap,
 * requests wait here in arrival order instead. Waiting callers are bounded by the callers
 * themselves (one per actor recovering or writing, plus scan workers).
 */
export class RequestGate {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!(Number.isInteger(limit) && limit > 0)) throw new RangeError(`RequestGate: limit must be a positive integer, got ${limit}`);
  }

  /** Requests running now. */
  get running(): number {
    return this.inFlight;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `request` once a slot is free; the slot passes to the next waiter when it settles.
   * Not an async function: below the limit (the usual case, once per event written) the
   * driver's own Promise is returned, without two more Promises around it.
   */
  run<T>(request: () => Promise<T>): Promise<T> {
    if (this.inFlight < this.limit) {
      this.inFlight++;
      return this.start(request);
    }
    // The releaser hands its slot over: inFlight stays as it is.
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.start(request));
  }

  /** Starts `request` in a slot already taken, and frees the slot when it settles. */
  private start<T>(request: () => Promise<T>): Promise<T> {
    let promise: Promise<T>;
    try {
      promise = request();
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(this.release, this.release);
    return promise;
  }

  private readonly release = (): void => {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.inFlight--;
  };
}
