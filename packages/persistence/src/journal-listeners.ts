/**
 * The change listeners of a journal (`Journal.subscribe`), for journal authors: part of the
 * SPI so that every journal, ours and third parties', notifies the same way. Listeners run
 * after the current job, never inside the write call; notifications of one tick are
 * coalesced into one call per listener; one listener's throw never reaches the journal or
 * the other listeners (it becomes a process warning, not silence).
 *
 * @example
 * private readonly listeners = new JournalListeners();
 * subscribe(listener: () => void) { return this.listeners.add(listener); }
 * // after a write is stored:
 * this.listeners.notify();
 */
export class JournalListeners {
  private readonly listeners = new Set<() => void>();
  private scheduled = false;

  /** Adds a listener; returns the function that removes it. Subscribing one function twice gives two subscriptions. */
  add(listener: () => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('subscribe: listener must be a function');
    // A wrapper per call, so that each subscription is removed on its own.
    const entry = (): void => listener();
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** How many listeners are subscribed. */
  get size(): number {
    return this.listeners.size;
  }

  /** Calls every listener soon: once per tick however many writes were stored in it. */
  notify(): void {
    if (this.scheduled || this.listeners.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const listener of [...this.listeners]) {
        try {
          listener();
        } catch (error) {
          process.emitWarning(`a journal change listener threw: ${String(error)}`, { code: 'TROUPE_LISTENER_THREW' });
        }
      }
    });
  }

  /** Removes every listener (when the journal closes). */
  clear(): void {
    this.listeners.clear();
  }
}
