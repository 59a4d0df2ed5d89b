/**
 * Where a shard region keeps which entities of a shard are active, for
 * `rememberEntities`. The cluster package never imports persistence, so the store is
 * injected: `JournalRememberEntitiesStore` of `@troupe/persistence` keeps it in a
 * journal (one persistence id per shard, fenced by the journal's single-writer claim).
 */
export interface RememberEntitiesStore {
  /**
   * Opens shard `shard` of `typeName` for this node: claims it as its only writer (a
   * store opened elsewhere afterwards fences this one) and reads the remembered ids.
   */
  openShard(typeName: string, shard: number): Promise<RememberedShard>;
}

/** One shard's remembered entities, opened by the node that hosts the shard. */
export interface RememberedShard {
  /** The entity ids remembered when the shard was opened. */
  readonly entityIds: readonly string[];
  /** Stores that `started` are active and `stopped` are not (one write); resolves once stored. */
  update(started: readonly string[], stopped: readonly string[]): Promise<void>;
  /** Releases the shard on this node (after its handoff); later updates fail. */
  close(): Promise<void>;
}
