import type { Journal } from '../journal.js';

/**
 * Wakes a live query when its journal reports new writes (`subscribe`), or after
 * `refreshIntervalMs` for writes the journal cannot report (another process), or when
 * the query is aborted. A change seen while the query was reading is remembered, so
 * nothing written between a read and the next wait is missed.
 */
export class ChangeSignal {
  private changed = false;
  private wake: (() => void) | undefined;
  private readonly unsubscribe: (() => void) | undefined;

  constructor(
    journal: Journal,
    private readonly refreshIntervalMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.unsubscribe = journal.subscribe?.(() => {
      this.changed = true;
      this.wake?.();
    });
  }

  /** Forgets changes seen so far; call right before reading. */
  reset(): void {
    this.changed = false;
  }

  /** Resolves on the next change (at once if one happened since `reset`), timeout or abort. */
  async wait(): Promise<void> {
    if (this.changed || this.signal?.aborted === true) return;
    const { promise, resolve } = Promise.withResolvers<void>();
    const timer = setTimeout(resolve, this.refreshIntervalMs);
    const onAbort = (): void => resolve();
    this.signal?.addEventListener('abort', onAbort, { once: true });
    this.wake = resolve;
    try {
      await promise;
    } finally {
      this.wake = undefined;
      clearTimeout(timer);
      this.signal?.removeEventListener('abort', onAbort);
    }
  }

  close(): void {
    this.unsubscribe?.();
  }
}
