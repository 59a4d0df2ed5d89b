import type { Actor } from '../actor.js';
import type { ActorContext } from '../actor-context.js';
import type { ActorRef } from '../actor-ref.js';
import type { ActorSystem } from '../actor-system.js';
import type { Logger } from '../logger.js';
import type { SpawnOptions } from '../spawn-options.js';
import type { TimerScheduler } from '../timer-scheduler.js';
import type { ActorCell } from './actor-cell.js';

/**
 * The `context` of one actor instance: the cell, seen through the generation the
 * instance was built in. A cell outlives its instances (a restart builds a new one in
 * the same cell), and a failed instance can still run — a continuation of its handler
 * that settles after the restart, a callback it handed out. Once the cell has moved on
 * to another generation, this context stops reaching the cell's per-instance state:
 * its timers are retired (starts are ignored with a debug log) and its stash is closed,
 * so nothing the old instance starts lands in its successor. Refs, children, death
 * watch and the system stay reachable: they belong to the cell, not to the instance.
 */
export class InstanceContext<M> implements ActorContext<M> {
  readonly self: ActorRef<M>;
  private scheduler: TimerScheduler<M> | undefined;

  constructor(
    readonly cell: ActorCell<M>,
    readonly generation: number,
  ) {
    this.self = cell.ref;
  }

  /** True once the cell has restarted or begun stopping since this instance was built. */
  get isStale(): boolean {
    return this.generation !== this.cell.instanceGeneration;
  }

  get parent(): ActorRef<never> {
    return this.cell.parent;
  }

  get system(): ActorSystem {
    return this.cell.system;
  }

  get log(): Logger {
    return this.cell.log;
  }

  get timers(): TimerScheduler<M> {
    return (this.scheduler ??= this.cell.timersFor(this.generation) as TimerScheduler<M>);
  }

  get children(): readonly ActorRef<never>[] {
    return this.cell.children;
  }

  child<C = never>(name: string): ActorRef<C> | undefined {
    return this.cell.child(name) as ActorRef<C> | undefined;
  }

  spawn<C>(factory: () => Actor<C>, options?: SpawnOptions): ActorRef<C> {
    return this.cell.spawn(factory, options);
  }

  stop(ref: ActorRef<never>): void {
    this.cell.stop(ref);
  }

  watch(ref: ActorRef<never>, message?: M): void {
    this.cell.watch(ref, message);
  }

  unwatch(ref: ActorRef<never>): void {
    this.cell.unwatch(ref);
  }

  stash(): void {
    // The message being handled now, if any, is the successor's: stashing it would deliver it twice.
    if (this.isStale) throw new TypeError(`stash(): this instance of ${this.cell.path} was restarted or stopped; it is handling no message`);
    this.cell.stash();
  }

  unstashAll(): void {
    if (this.isStale) {
      // What is stashed now was stashed by the successor, which decides when it comes back.
      this.cell.log.debug(`${this.cell.path}: ignored unstashAll() from an instance that was restarted or stopped`);
      return;
    }
    this.cell.unstashAll();
  }

  get stashSize(): number {
    return this.isStale ? 0 : this.cell.stashSize;
  }
}

/** The cell behind an actor's `context` (routers spawn their routees on it). */
export function cellOf<M>(context: ActorContext<M>): ActorCell<M> {
  return (context as InstanceContext<M>).cell;
}
