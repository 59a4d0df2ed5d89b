import { ActorRef, type ActorSystem } from '@troupe/core';
import { type SystemMessage, resolveLocalRef, sendSystemMessage } from '@troupe/core/spi';
import { MissingLocalRef } from './missing-local-ref.js';
import { RemoteActorRef } from './remote-actor-ref.js';

const MAX_EXPORTED = 100_000;
const MAX_CACHED_LOCAL_REFS = 10_000;
/** Where core puts the temporary refs of asks (`<address>/temp/$<id>`): `resolveLocalRef` finds them while their ask is pending. */
export const TEMP_PREFIX = '/temp/';
const SLASH = 47;

/**
 * Finds the local actor an inbound message or system message names, by its path relative
 * to this node (what frames carry). Keeps two bounded maps: local refs handed to other
 * nodes that the actor tree cannot find by path (probes, routers), and refs recently
 * addressed from other nodes (walking the tree per message is costly); an entry leaves
 * when its actor stops. Apart from the remoting because it is the one place that knows
 * how local actors are named on the wire and how long such a name stays valid.
 */
export class LocalRefDirectory {
  /** Local refs handed to other nodes that `resolveLocalRef` cannot find by path, by relative path. */
  private readonly exported = new Map<string, ActorRef<unknown>>();
  /** Local actors recently addressed from other nodes, by relative path; an entry leaves when its actor stops. */
  private readonly cache = new Map<string, ActorRef<unknown>>();
  /** What other nodes send to a local actor or below it goes where these say, by the actor's relative path (see `setInlet`). */
  private readonly inlets = new Map<string, InboundInlet>();
  /** The one (immutable) watch message the cleaner sends: an export happens per remote ask. */
  private readonly watchByCleaner: SystemMessage;

  constructor(private readonly system: ActorSystem) {
    const cleaner = new ExportCleanerRef(system, `${system.address}/system/remoting-exports`, (path) => {
      const relative = this.relativePath(path);
      if (relative === undefined) return;
      this.exported.delete(relative);
      this.cache.delete(relative);
    });
    this.watchByCleaner = { kind: 'watch', watcher: cleaner };
  }

  /** Number of local refs currently exported for replies (for tests and monitoring). */
  get exportedCount(): number {
    return this.exported.size;
  }

  /** `path` without this node's address, or undefined when it is not a path on this node. */
  relativePath(path: string): string | undefined {
    const address = this.system.address;
    return path.startsWith(address) && path.charCodeAt(address.length) === SLASH ? path.slice(address.length) : undefined;
  }

  /** The local actor at `relative` (a path relative to this node); a MissingLocalRef when there is none. */
  resolve(relative: string): ActorRef<unknown> {
    if (this.inlets.size !== 0) {
      const inlet = this.viaInlet(relative);
      if (inlet !== undefined) return inlet;
    }
    // An ask's temporary ref is answered once: core finds it while the ask is pending, and caching it would only churn the cache.
    if (relative.startsWith(TEMP_PREFIX)) return this.resolveUncached(relative);
    // Named actors (the common recipients) first: one lookup per message on the hot path.
    const known = this.cache.get(relative) ?? this.exported.get(relative);
    if (known !== undefined) return known;
    const ref = this.resolveUncached(relative);
    if (ref instanceof MissingLocalRef) return ref;
    // Walking the actor tree per inbound message is costly: cache the ref until the actor stops.
    if (this.cache.size >= MAX_CACHED_LOCAL_REFS) this.cache.clear();
    this.cache.set(relative, ref);
    ref[sendSystemMessage](this.watchByCleaner);
    return ref;
  }

  /**
   * From now on, what other nodes send to the local actor at `relative`, or to a path
   * below it, goes to the ref `inlet` gives for the path below (`''` for the actor itself;
   * undefined: resolved as usual), which may take a shorter way than the actor's mailbox
   * (sharding's region inlet). Returns the undo.
   */
  setInlet(relative: string, inlet: InboundInlet): () => void {
    this.inlets.set(relative, inlet);
    return () => {
      if (this.inlets.get(relative) === inlet) this.inlets.delete(relative);
    };
  }

  /** Remembers a local ref sent to another node so replies to its path reach it. */
  export(ref: ActorRef<unknown>): void {
    if (ref instanceof RemoteActorRef) return;
    const relative = this.relativePath(ref.path);
    // Temporary refs of asks need no export: core finds them by path (reading it above made sure).
    if (relative === undefined || relative.startsWith(TEMP_PREFIX) || this.exported.has(relative)) return;
    if (resolveLocalRef(this.system, ref.path) === ref) return;
    if (this.exported.size >= MAX_EXPORTED) this.exported.delete(this.exported.keys().next().value as string);
    this.exported.set(relative, ref);
    // Forget it once it terminates.
    ref[sendSystemMessage](this.watchByCleaner);
  }

  /** Resolved once per run of messages in a frame, not per message. */
  private viaInlet(relative: string): ActorRef<unknown> | undefined {
    const own = this.inlets.get(relative);
    if (own !== undefined) return own('');
    for (const [path, inlet] of this.inlets) {
      if (relative.length > path.length && relative.charCodeAt(path.length) === SLASH && relative.startsWith(path)) return inlet(relative.slice(path.length + 1));
    }
    return undefined;
  }

  private resolveUncached(relative: string): ActorRef<unknown> {
    const path = `${this.system.address}${relative}`;
    return resolveLocalRef(this.system, path) ?? new MissingLocalRef(this.system, path);
  }
}

/** Gives the ref that inbound messages to the path `below` an actor's go to (`''`: the actor itself), or undefined to resolve it as usual. */
export type InboundInlet = (below: string) => ActorRef<unknown> | undefined;

/** Watches exported and cached local refs and forgets each one when it terminates. */
class ExportCleanerRef extends ActorRef<never> {
  constructor(
    readonly system: ActorSystem,
    readonly path: string,
    private readonly forget: (path: string) => void,
  ) {
    super();
  }

  tell(): void {}

  [sendSystemMessage](message: SystemMessage): void {
    if (message.kind === 'death-watch-notification') this.forget(message.ref.path);
  }
}
