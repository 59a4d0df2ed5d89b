import type { Actor } from './actor.js';
import type { ActorRef } from './actor-ref.js';
import type { ActorSystem } from './actor-system.js';
import type { Logger } from './logger.js';
import type { SpawnOptions } from './spawn-options.js';
import type { TimerScheduler } from './timer-scheduler.js';

/** Spawning and finding children. */
export interface ChildSpawner {
  /**
   * Starts a child actor built by `factory` and returns its ref at once; the actor is
   * created asynchronously. Callable from inside the actor (handler, hooks, constructor).
   * @throws ActorNameTakenError when a live child has the name; TypeError for a bad name.
   */
  spawn<C>(factory: () => Actor<C>, options?: SpawnOptions): ActorRef<C>;
  /** The live children, in spawn order. */
  readonly children: readonly ActorRef<never>[];
  /**
   * The live child with this name, if any. Its message type is not known from a name:
   * the ref accepts no message (it can be stopped and watched) unless the caller names
   * the type, `child<WorkerMsg>('worker')`, which is then the caller's claim, unchecked.
   */
  child<C = never>(name: string): ActorRef<C> | undefined;
}

/** Stopping actors. */
export interface Stopper {
  /**
   * Stops `ref` (self or a child) asynchronously: its children stop first, then its
   * `postStop` runs; queued messages go to dead letters. Stopping twice is harmless.
   */
  stop(ref: ActorRef<never>): void;
}

/** Death watch. */
export interface Watcher<M> {
  /**
   * Watches `ref`: when it stops, `onTerminated(ref)` runs, or — if `message` is given —
   * `message` is delivered to `receive` instead. Exactly once per watch; immediately
   * if `ref` is already stopped. Watching twice keeps one watch.
   */
  watch(ref: ActorRef<never>, message?: M): void;
  /** Stops watching; no notification is delivered afterwards. */
  unwatch(ref: ActorRef<never>): void;
}

/**
 * Stashing messages for later. A restart puts the stash back in the mailbox, so what is
 * stashed afterwards is the new instance's: a replaced instance cannot touch it.
 */
export interface Stash {
  /**
   * Puts the message being handled aside. Only inside the message handler.
   * @throws StashOverflowError past the stash capacity; TypeError outside the handler,
   * including from an instance that was restarted or stopped (and from its `preRestart`/`postStop`).
   */
  stash(): void;
  /** Puts every stashed message back at the front of the mailbox, oldest first. Ignored (debug log) from a replaced instance. */
  unstashAll(): void;
  /** Number of stashed messages; 0 for a replaced instance. */
  readonly stashSize: number;
}

/**
 * What an actor sees of the runtime, as `this.context`. Every member may be called
 * from the constructor, the hooks and `receive`; none is meant for other actors.
 *
 * Each instance has its own context. Once a restart has replaced the instance, or the
 * actor has begun stopping, the old context keeps `self`, `parent`, `system`, `log`,
 * children, `stop` and death watch (they belong to the actor, not the instance), but its
 * `timers` start nothing and its stash is closed: a continuation of a failed instance
 * that runs late can never put a timer message or a stashed message in front of its
 * successor. Messages it tells to `self` still arrive, as any sender's would.
 */
export interface ActorContext<M> extends ChildSpawner, Stopper, Watcher<M>, Stash {
  /** This actor's own ref. */
  readonly self: ActorRef<M>;
  /** The parent's ref (the user guardian for top-level actors). */
  readonly parent: ActorRef<never>;
  /** The system this actor runs in. */
  readonly system: ActorSystem;
  /**
   * This instance's timers; cancelled on stop and on restart. From a replaced or stopping
   * instance (including its `preRestart` and `postStop`) a start is ignored and logged at
   * debug level, not thrown: a throw from a late continuation would be lost or crash the process.
   */
  readonly timers: TimerScheduler<M>;
  /** The system's logger. */
  readonly log: Logger;
}
