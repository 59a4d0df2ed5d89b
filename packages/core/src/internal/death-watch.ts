import { type ActorRef, sendSystemMessage } from '../actor-ref.js';

/** One actor this cell watches: its ref, and the message to deliver when it stops (undefined = a Terminated signal). */
export interface WatchedActor {
  readonly ref: ActorRef<never>;
  readonly message: unknown;
}

/**
 * Both sides of one actor's death watch: who watches it (told with a
 * `death-watch-notification` when it stops) and whom it watches (each with the message
 * to deliver on termination). Apart from the cell because most actors never watch or
 * are watched, so it is allocated on first use, and because the protocol (watch once
 * per path, unwatch on stop so a survivor forgets us) is one concept of its own.
 */
export class DeathWatch {
  private watchers: Map<string, ActorRef<never>> | undefined = undefined;
  private watching: Map<string, WatchedActor> | undefined = undefined;

  constructor(private readonly self: ActorRef<never>) {}

  /** Starts watching `ref`; the watch system message goes out only the first time for a path. */
  watch(ref: ActorRef<never>, message: unknown): void {
    const watching = (this.watching ??= new Map());
    const key = ref.path;
    const isNew = !watching.has(key);
    watching.set(key, { ref, message });
    if (isNew) ref[sendSystemMessage]({ kind: 'watch', watcher: this.self });
  }

  /** Stops watching `ref`, telling it so that it forgets this actor as a watcher. */
  unwatch(ref: ActorRef<never>): void {
    if (this.watching?.delete(ref.path) === true) ref[sendSystemMessage]({ kind: 'unwatch', watcher: this.self });
  }

  /** Records that `watcher` wants to learn when this actor stops. */
  addWatcher(watcher: ActorRef<never>): void {
    (this.watchers ??= new Map()).set(watcher.path, watcher);
  }

  /** Forgets `watcher`. */
  removeWatcher(watcher: ActorRef<never>): void {
    this.watchers?.delete(watcher.path);
  }

  /**
   * A watched actor has stopped: forgets it and returns what was registered for it, or
   * undefined when this actor no longer watches it (unwatched meanwhile, or told twice).
   */
  takeTerminated(ref: ActorRef<never>): WatchedActor | undefined {
    const watching = this.watching;
    if (watching === undefined) return undefined;
    const key = ref.path;
    const watched = watching.get(key);
    if (watched === undefined) return undefined;
    watching.delete(key);
    return watched;
  }

  /**
   * This actor has stopped: watched actors that outlive it must not keep it as a watcher,
   * and its watchers learn that it is gone.
   */
  selfStopped(): void {
    const self = this.self;
    if (this.watching !== undefined) {
      for (const { ref } of this.watching.values()) ref[sendSystemMessage]({ kind: 'unwatch', watcher: self });
      this.watching = undefined;
    }
    if (this.watchers !== undefined) {
      for (const watcher of this.watchers.values()) watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: self });
      this.watchers = undefined;
    }
  }
}
