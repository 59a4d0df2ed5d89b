import type { ActorRef, ActorSystem } from '@troupe/core';
import { PersistentActor } from './persistent-actor.js';

/** Options of `JournalRememberEntitiesStore`. */
export interface JournalRememberEntitiesStoreOptions {
  /** Journal id in the `Persistence` settings. @default the default journal */
  readonly journalId?: string;
  /** Snapshot store id in the `Persistence` settings. @default the default snapshot store */
  readonly snapshotStoreId?: string;
  /** Snapshot a shard's active entities every this many events; `false`: never. @default 1000 (Akka's) */
  readonly snapshotEvery?: number | false;
  /** Bound of opening a shard (its recovery) and of each update. @default 10000 */
  readonly timeoutMs?: number;
}

/** One opened shard as `ClusterSharding` uses it (structurally `RememberedShard` of `@troupe/cluster`). */
export interface JournalRememberedShard {
  /** The entity ids remembered when the shard was opened. */
  readonly entityIds: readonly string[];
  /** Stores the stops, then the starts, as one atomic write. */
  update(started: readonly string[], stopped: readonly string[]): Promise<void>;
  /** Stops the shard's writer on this node. */
  close(): Promise<void>;
}

type Reply = { readonly ok: true } | { readonly ok: false; readonly error: Error };
type Command =
  | { readonly t: 'load'; readonly replyTo: ActorRef<readonly string[]> }
  | { readonly t: 'update'; readonly started: readonly string[]; readonly stopped: readonly string[]; readonly replyTo: ActorRef<Reply> };
/** The stored events of a shard (the journal's data contract for remember-entities). */
type Event = { readonly type: 'entities-started'; readonly ids: readonly string[] } | { readonly type: 'entities-stopped'; readonly ids: readonly string[] };

/** The single writer of one shard's active set: a persistent actor, so the journal's claim fences a stale one. */
class RememberedShardWriter extends PersistentActor<Command, Event, string[]> {
  private readonly ids = new Set<string>();

  constructor(
    readonly persistenceId: string,
    override readonly journalId: string | undefined,
    override readonly snapshotStoreId: string | undefined,
    override readonly snapshotEvery: number | undefined,
  ) {
    super();
  }

  applyEvent(event: Event): void {
    if (event.type === 'entities-started') for (const id of event.ids) this.ids.add(id);
    else for (const id of event.ids) this.ids.delete(id);
  }

  override applySnapshot(snapshot: string[]): void {
    this.ids.clear();
    for (const id of snapshot) this.ids.add(id);
  }

  override snapshotState(): string[] {
    return [...this.ids];
  }

  async receiveCommand(command: Command): Promise<void> {
    if (command.t === 'load') {
      command.replyTo.tell([...this.ids]);
      return;
    }
    const events: Event[] = [];
    if (command.stopped.length > 0) events.push({ type: 'entities-stopped', ids: [...command.stopped] });
    if (command.started.length > 0) events.push({ type: 'entities-started', ids: [...command.started] });
    try {
      await this.persistAll(events);
      command.replyTo.tell({ ok: true });
    } catch (error) {
      // The runtime has already decided this actor's fate (stale writer: stop; failed write: supervisor).
      command.replyTo.tell({ ok: false, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
}

let writers = 0;

/**
 * The remember-entities store of cluster sharding on a journal: one persistence id per
 * shard, `troupe-remember-<typeName>-<shard>`, holding `entities-started` and
 * `entities-stopped` events (and a snapshot of the active ids every `snapshotEvery`
 * events). Opening a shard recovers it as a persistent actor, which claims the id, so
 * the journal refuses the writes of a stale owner across a split brain.
 *
 * @example
 * sharding.init({ typeKey: Cart, create, rememberEntities: true, rememberEntitiesStore: new JournalRememberEntitiesStore(cluster.system) });
 */
export class JournalRememberEntitiesStore {
  private readonly timeoutMs: number;
  private readonly snapshotEvery: number | undefined;

  /** @throws TypeError / RangeError naming a bad option */
  constructor(
    private readonly system: ActorSystem,
    private readonly options: JournalRememberEntitiesStoreOptions = {},
  ) {
    if (options === null || typeof options !== 'object') throw new TypeError('JournalRememberEntitiesStore: options must be an object');
    for (const field of ['journalId', 'snapshotStoreId'] as const) {
      const value = options[field];
      if (value !== undefined && (typeof value !== 'string' || value.length === 0)) throw new TypeError(`JournalRememberEntitiesStore: ${field} must be a non-empty string`);
    }
    const every = options.snapshotEvery ?? 1000;
    if (!(every === false || (Number.isInteger(every) && every > 0))) throw new RangeError(`JournalRememberEntitiesStore: snapshotEvery must be a positive integer or false, got ${String(every)}`);
    this.snapshotEvery = every === false ? undefined : every;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    if (!(Number.isFinite(this.timeoutMs) && this.timeoutMs > 0)) throw new RangeError(`JournalRememberEntitiesStore: timeoutMs must be a finite number > 0, got ${String(options.timeoutMs)}`);
  }

  /** The persistence id of shard `shard` of `typeName`. */
  static persistenceIdOf(typeName: string, shard: number): string {
    return `troupe-remember-${typeName}-${shard}`;
  }

  /** Recovers shard `shard` of `typeName` here (claiming its persistence id) and returns its remembered entity ids. */
  async openShard(typeName: string, shard: number): Promise<JournalRememberedShard> {
    const { system, timeoutMs } = this;
    const persistenceId = JournalRememberEntitiesStore.persistenceIdOf(typeName, shard);
    const ref = system.spawn(() => new RememberedShardWriter(persistenceId, this.options.journalId, this.options.snapshotStoreId, this.snapshotEvery), {
      name: `troupe-remember-${typeName}-${shard}-${++writers}`,
    });
    let entityIds: readonly string[];
    try {
      entityIds = await system.ask<Command, readonly string[]>(ref, (replyTo) => ({ t: 'load', replyTo }), { timeoutMs });
    } catch (error) {
      system.stop(ref as ActorRef<never>);
      throw error;
    }
    return {
      entityIds,
      async update(started, stopped) {
        const reply = await system.ask<Command, Reply>(ref, (replyTo) => ({ t: 'update', started, stopped, replyTo }), { timeoutMs });
        if (!reply.ok) throw reply.error;
      },
      close() {
        system.stop(ref as ActorRef<never>);
        return Promise.resolve();
      },
    };
  }
}
