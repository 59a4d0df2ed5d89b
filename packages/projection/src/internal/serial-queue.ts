/**
 * Runs async tasks one after another. A SQLite connection has one transaction at a
 * time, and a transaction that spans an async handler must not see another task's
 * statements, so every use of the store's connection goes through one queue.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it has settled. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
