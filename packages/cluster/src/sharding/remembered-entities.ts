import type { RememberEntitiesStore, RememberedShard } from './remember-entities-store.js';

/** Tells a region that a shard's store was opened (`store`) or could not be (`error`). */
export interface RememberLoaded {
  readonly t: 'sh-remember-loaded';
  readonly shard: number;
  /** Which opening of the shard this answers (a later one makes it stale). */
  readonly token: number;
  readonly store?: RememberedShard;
  readonly error?: unknown;
}

/** Tells a region that a shard's update was stored, or failed with `error`. */
export interface RememberWritten {
  readonly t: 'sh-remember-written';
  readonly shard: number;
  readonly token: number;
  readonly started: readonly string[];
  readonly stopped: readonly string[];
  readonly error?: unknown;
}

/** Which entities of one hosted shard are remembered, and the update on its way. */
interface ShardMemory {
  readonly token: number;
  store: RememberedShard | undefined;
  loading: boolean;
  /** Stored as active (or about to be: a stop is queued only after its entity ran). */
  readonly ids: Set<string>;
  readonly pendingStart: Set<string>;
  readonly pendingStop: Set<string>;
  writing: boolean;
}

/**
 * The remember-entities bookkeeping of one region: per hosted shard, its opened store,
 * the ids stored as active, and the starts and stops not yet stored. At most one update
 * per shard is in flight; what arrives meanwhile goes into the next one. Results come
 * back to the region as messages (`notify`), so all state changes run on the region.
 */
export class RememberedEntities {
  private readonly shards = new Map<number, ShardMemory>();
  private nextToken = 1;

  constructor(
    private readonly typeName: string,
    private readonly store: RememberEntitiesStore,
    private readonly notify: (outcome: RememberLoaded | RememberWritten) => void,
  ) {}

  /** Starts opening shard `shard`'s store; the region hears `sh-remember-loaded`. */
  open(shard: number): void {
    const memory: ShardMemory = { token: this.nextToken++, store: undefined, loading: false, ids: new Set(), pendingStart: new Set(), pendingStop: new Set(), writing: false };
    this.shards.set(shard, memory);
    this.load(shard, memory);
  }

  /**
   * Takes in an opening's outcome: the remembered ids, or undefined when it failed (it
   * is retried by `retry`) or is stale (the shard was released meanwhile; its store is closed).
   */
  loaded(msg: RememberLoaded): readonly string[] | undefined {
    const memory = this.shards.get(msg.shard);
    if (memory?.token !== msg.token) {
      msg.store?.close().catch(() => {});
      return undefined;
    }
    memory.loading = false;
    if (msg.store === undefined) return undefined;
    memory.store = msg.store;
    for (const id of msg.store.entityIds) if (typeof id === 'string') memory.ids.add(id);
    return [...memory.ids];
  }

  /** True when `entityId` is stored as active in `shard`. */
  has(shard: number, entityId: string): boolean {
    return this.shards.get(shard)?.ids.has(entityId) === true;
  }

  /** Queues the start of `entityId` (its messages wait for `sh-remember-written`). */
  recordStart(shard: number, entityId: string): void {
    const memory = this.shards.get(shard);
    if (memory === undefined || memory.ids.has(entityId)) return;
    memory.pendingStop.delete(entityId);
    memory.pendingStart.add(entityId);
    this.flush(shard, memory);
  }

  /** Queues the stop of `entityId` (passivated: not restarted when its shard starts elsewhere). */
  recordStop(shard: number, entityId: string): void {
    const memory = this.shards.get(shard);
    if (memory === undefined || !memory.ids.delete(entityId)) return;
    memory.pendingStart.delete(entityId);
    memory.pendingStop.add(entityId);
    this.flush(shard, memory);
  }

  /**
   * Takes in an update's outcome: the ids whose start is now stored (their messages may
   * go), or none when it failed (the update is queued again and retried by `retry`).
   */
  written(msg: RememberWritten): readonly string[] {
    const memory = this.shards.get(msg.shard);
    if (memory?.token !== msg.token) return [];
    memory.writing = false;
    if (msg.error !== undefined) {
      for (const id of msg.started) if (!memory.pendingStop.has(id)) memory.pendingStart.add(id);
      for (const id of msg.stopped) if (!memory.pendingStart.has(id) && !memory.ids.has(id)) memory.pendingStop.add(id);
      return [];
    }
    for (const id of msg.started) memory.ids.add(id);
    this.flush(msg.shard, memory);
    return msg.started;
  }

  /** True while `shard`'s store is being opened or has an update queued or in flight. */
  busy(shard: number): boolean {
    const memory = this.shards.get(shard);
    return memory !== undefined && (memory.loading || memory.writing || memory.pendingStart.size > 0 || memory.pendingStop.size > 0);
  }

  /** True once `shard`'s store is open here. */
  isOpen(shard: number): boolean {
    return this.shards.get(shard)?.store !== undefined;
  }

  /** Drops `shard`'s queued (not in-flight) updates; returns the ids whose start was dropped. */
  abandon(shard: number): string[] {
    const memory = this.shards.get(shard);
    if (memory === undefined) return [];
    const dropped = [...memory.pendingStart];
    memory.pendingStart.clear();
    memory.pendingStop.clear();
    return dropped;
  }

  /** Forgets `shard` on this node and closes its store (after its handoff). */
  release(shard: number): void {
    const memory = this.shards.get(shard);
    if (memory === undefined) return;
    this.shards.delete(shard);
    memory.store?.close().catch(() => {});
  }

  /** Opens again the stores that failed to open and sends the updates that failed; returns the shards reopened. */
  retry(): number[] {
    const reopened: number[] = [];
    for (const [shard, memory] of this.shards) {
      if (memory.store === undefined && !memory.loading) {
        this.load(shard, memory);
        reopened.push(shard);
      } else this.flush(shard, memory);
    }
    return reopened;
  }

  private load(shard: number, memory: ShardMemory): void {
    memory.loading = true;
    let opening: Promise<RememberedShard>;
    try {
      opening = this.store.openShard(this.typeName, shard);
    } catch (error) {
      opening = Promise.reject(error as Error);
    }
    opening.then(
      (store) => this.notify({ t: 'sh-remember-loaded', shard, token: memory.token, store }),
      (error: unknown) => this.notify({ t: 'sh-remember-loaded', shard, token: memory.token, error: error ?? new Error('openShard rejected') }),
    );
  }

  private flush(shard: number, memory: ShardMemory): void {
    if (memory.writing || memory.store === undefined || (memory.pendingStart.size === 0 && memory.pendingStop.size === 0)) return;
    const started = [...memory.pendingStart];
    const stopped = [...memory.pendingStop];
    memory.pendingStart.clear();
    memory.pendingStop.clear();
    memory.writing = true;
    let writing: Promise<void>;
    try {
      writing = memory.store.update(started, stopped);
    } catch (error) {
      writing = Promise.reject(error as Error);
    }
    writing.then(
      () => this.notify({ t: 'sh-remember-written', shard, token: memory.token, started, stopped }),
      (error: unknown) => this.notify({ t: 'sh-remember-written', shard, token: memory.token, started, stopped, error: error ?? new Error('update rejected') }),
    );
  }
}
