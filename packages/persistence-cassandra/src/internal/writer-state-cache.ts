/** What one journal instance last saw of a persistence id's write state: hints, never trusted. */
export interface WriterState {
  /** The fence found (or set) on the id's partitions: the claimed writer uuid, null when never claimed. */
  readonly fence: string | null;
  /** The partition the last write went to, when it was not the one its numbers point at (see redirects). */
  readonly partition: number | undefined;
  /**
   * The highest sequence number a claim by this instance found last, until the next read or
   * write of the id: the recovery that claimed reads it instead of asking Cassandra again.
   */
  readonly highestAtClaim?: number;
}

/**
 * A bounded map of `WriterState` per persistence id, oldest entry evicted first. The
 * conditional writes check everything against Cassandra; a good hint only saves the
 * extra Paxos round of a condition that guessed wrong.
 */
export class WriterStateCache {
  private readonly entries = new Map<string, WriterState>();

  constructor(private readonly capacity: number) {}

  get(persistenceId: string): WriterState | undefined {
    return this.entries.get(persistenceId);
  }

  set(persistenceId: string, state: WriterState): void {
    this.entries.delete(persistenceId);
    this.entries.set(persistenceId, state);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
