/** Listeners of `Journal.subscribe`, called asynchronously; one listener's throw never reaches the writer. */
export class ChangeListeners {
  private readonly listeners = new Set<() => void>();
  private scheduled = false;

  add(listener: () => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('subscribe: listener must be a function');
    // A wrapper per call, so subscribing one function twice gives two independent subscriptions.
    const entry = (): void => listener();
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Calls every listener once, after the current job (coalescing notifications of one tick). */
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
}
