/**
 * Change listeners of a journal (`Journal.subscribe`). Listeners run on a microtask,
 * never inside the write call, and one listener's throw never reaches the journal.
 */
export class JournalListeners {
  private readonly listeners = new Set<() => void>();
  private scheduled = false;

  /** Adds a listener; returns the function that removes it. */
  add(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Calls every listener soon (coalesced: once per microtask however many writes). */
  notify(): void {
    if (this.scheduled || this.listeners.size === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      for (const listener of [...this.listeners]) {
        try {
          listener();
        } catch {
          // A listener's failure is its own business (CONVENTIONS 10).
        }
      }
    });
  }

  clear(): void {
    this.listeners.clear();
  }
}
