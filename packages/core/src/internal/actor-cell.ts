import { type Actor, constructWith } from '../actor.js';
import type { ActorContext } from '../actor-context.js';
import { type ActorRef, sendSystemMessage } from '../actor-ref.js';
import type { ActorSystem } from '../actor-system.js';
import type { Cancellable } from '../clock.js';
import { ActorInitializationError, ActorNameTakenError, EscalatedFailureError, MailboxOverflowError, StashOverflowError, SystemTerminatedError, describe } from '../errors.js';
import type { Logger } from '../logger.js';
import { Mailbox } from '../mailbox/mailbox.js';
import { type SpawnOptions, checkActorName } from '../spawn-options.js';
import { RestartStatistics } from '../supervision/restart-statistics.js';
import { SupervisorStrategy } from '../supervision/supervisor-strategy.js';
import { type SupervisionDecision, brokenStrategyDecision, decideSupervision } from '../supervision/supervision-decision.js';
import { ActorTimers, TimerFired } from '../timer-scheduler.js';
import type { Runnable } from './dispatcher.js';
import { InstanceContext } from './instance-context.js';
import { LocalActorRef } from './local-actor-ref.js';
import { RingBuffer } from './ring-buffer.js';
import { Signal } from './signal.js';
import { Terminated } from './terminated.js';
import { RESUME, STOP, type SystemMessage } from './system-message.js';
import type { SystemRuntime } from './system-runtime.js';
import { DeathWatch } from './death-watch.js';
import * as cellStatus from './cell-status.js';
import type { CellStatus } from './cell-status.js';

// Module-local copies of the status constants and flags: V8 folds a module's own
// constants into optimised code, but loads an imported binding on every use, which cost
// the `tell` path ~15% on the ping-pong bench.
const { CREATED, ACTIVE, FAILED, RESTARTING, STOPPING, STOPPED, SCHEDULED, AWAITING, STOP_REQUESTED, RESTART_PENDING } = cellStatus;

const NO_MESSAGE: unique symbol = Symbol('no-message');
const DEFAULT_STASH_CAPACITY = 10_000;

/**
 * Extra wiring for routees of a balancing pool: they take work from one shared queue
 * once their own mailbox (replies, self-tells, timers, Terminated) is empty.
 */
export interface SharedMailboxWiring {
  readonly mailbox: Mailbox;
  /** Called when the routee has nothing to do, so the pool can hand it the next message. */
  readonly onIdle: (cell: ActorCell<unknown>) => void;
  /** Called when the routee has stopped, so queued work goes to another routee. */
  readonly onStopped: (cell: ActorCell<unknown>) => void;
}

/** Spawn options as the runtime keeps them, plus internal wiring. */
export interface CellOptions extends SpawnOptions {
  readonly shared?: SharedMailboxWiring;
  /** Builds the cell's ref instead of a plain LocalActorRef (routers route on `tell`). */
  readonly makeRef?: (cell: ActorCell<never>) => LocalActorRef<never>;
}

/** The parts of a cell that most actors never use. */
class CellExtras {
  /** Who watches this actor and whom it watches. */
  deathWatch: DeathWatch | undefined = undefined;
  /** The timers of the current instance; a new instance starts with none. */
  timerScheduler: ActorTimers<unknown> | undefined = undefined;
  stashBuffer: RingBuffer<unknown> | undefined = undefined;
  restartStats: RestartStatistics | undefined = undefined;
  /** Set while a restart waits for the old instance's children to stop. */
  pendingRestartError: { error: unknown } | undefined = undefined;
  /** A backoff restart the parent scheduled for this actor; cancelled if it restarts or stops first. */
  delayedRestart: Cancellable | undefined = undefined;
  onStopped: (() => void) | undefined = undefined;
}

/**
 * The runtime side of one actor: its mailbox, lifecycle, children, watchers, timers
 * and stash. Each instance sees it through its own `InstanceContext`, bound to the
 * generation it was built in. Fields that most actors never use are created lazily so
 * an idle actor costs a few hundred bytes.
 */
export class ActorCell<M> implements Omit<ActorContext<M>, 'timers'>, Runnable {
  readonly ref: LocalActorRef<M>;
  private instance: Actor<M> | undefined;
  private mailbox: Mailbox | undefined;
  private systemQueue: SystemMessage[] | undefined;
  private childCells: Map<string, ActorCell<unknown>> | undefined;
  /** Rarely used state, allocated on first use to keep idle actors small. */
  private extras: CellExtras | undefined;
  private status: CellStatus = CREATED;
  private flags = 0;
  private current: unknown = NO_MESSAGE;
  /** Bumped on restart and stop so late settlements of old Promises are ignored. */
  private generation = 0;
  /** Signals (Terminated, timers) queued in the mailbox; 0 lets `invoke` skip the instanceof check. */
  private pendingSignals = 0;

  constructor(
    readonly runtime: SystemRuntime,
    readonly parentCell: ActorCell<unknown> | undefined,
    readonly name: string,
    private readonly factory: () => Actor<M>,
    readonly options: CellOptions | undefined,
  ) {
    this.ref = (options?.makeRef?.(this as unknown as ActorCell<never>) as LocalActorRef<M> | undefined) ?? new LocalActorRef(this);
  }

  private get more(): CellExtras {
    return (this.extras ??= new CellExtras());
  }

  /** Created on the first watch in either direction. */
  private get deathWatch(): DeathWatch {
    return (this.more.deathWatch ??= new DeathWatch(this.ref as ActorRef<never>));
  }

  // ---- ActorContext -------------------------------------------------------------

  get self(): ActorRef<M> {
    return this.ref;
  }

  get parent(): ActorRef<never> {
    return (this.parentCell?.ref ?? this.ref) as ActorRef<never>;
  }

  get system(): ActorSystem {
    return this.runtime.publicSystem;
  }

  get log(): Logger {
    return this.runtime.log;
  }

  get path(): string {
    return this.parentCell === undefined ? `${this.runtime.address}/${this.name}` : `${this.parentCell.path}/${this.name}`;
  }

  get children(): readonly ActorRef<never>[] {
    if (this.childCells === undefined) return [];
    const refs: ActorRef<never>[] = [];
    for (const child of this.childCells.values()) refs.push(child.ref as ActorRef<never>);
    return refs;
  }

  /** Bumped on restart and stop: an instance's context is stale once this differs from its own. */
  get instanceGeneration(): number {
    return this.generation;
  }

  /**
   * The timers of the instance built in `generation`. An older instance gets a retired
   * scheduler of its own, so it can neither start a timer that reaches the current
   * instance nor cancel one of the current instance's timers.
   */
  timersFor(generation: number): ActorTimers<unknown> {
    if (generation === this.generation && this.status < STOPPING) return (this.more.timerScheduler ??= new ActorTimers<unknown>(this.runtime.clock, this));
    const retired = new ActorTimers<unknown>(this.runtime.clock, this);
    retired.retire();
    return retired;
  }

  get stashSize(): number {
    return this.extras?.stashBuffer?.size ?? 0;
  }

  /** Messages waiting in the mailbox (used by the smallest-mailbox router). */
  get mailboxSize(): number {
    return this.mailbox?.size ?? 0;
  }

  /** True once the actor has fully stopped. */
  get isTerminated(): boolean {
    return this.status === STOPPED;
  }

  /** True from the moment the actor starts stopping: its timers must not start or re-arm. */
  get isStopping(): boolean {
    return this.status >= STOPPING;
  }

  /** True while the actor handles a message or waits on a handler's Promise. */
  get isBusy(): boolean {
    return (this.flags & AWAITING) !== 0 || this.current !== NO_MESSAGE;
  }

  child(name: string): ActorRef<unknown> | undefined {
    return this.childCells?.get(name)?.ref as ActorRef<unknown> | undefined;
  }

  spawn<C>(factory: () => Actor<C>, options?: SpawnOptions): ActorRef<C> {
    return this.spawnCell(factory, options).ref;
  }

  /** Spawns a child and returns its cell (routers need the cell for queue sizes). */
  spawnCell<C>(factory: () => Actor<C>, options?: CellOptions): ActorCell<C> {
    if (typeof factory !== 'function') throw new TypeError('spawn: factory must be a function returning an Actor, e.g. () => new MyActor()');
    if (this.status >= STOPPING || this.runtime.terminated) throw new SystemTerminatedError(this.runtime.address, `spawn a child of ${this.path}: it is stopping`);
    const name = options?.name === undefined ? this.runtime.nextAnonymousName() : checkActorName(options.name);
    if (options?.stashCapacity !== undefined && !(Number.isInteger(options.stashCapacity) && options.stashCapacity > 0)) {
      throw new RangeError(`spawn: stashCapacity must be a positive integer, got ${options.stashCapacity}`);
    }
    if (options?.supervision !== undefined && !(options.supervision instanceof SupervisorStrategy)) {
      throw new TypeError('spawn: supervision must be a SupervisorStrategy (use the SupervisorStrategy factories)');
    }
    const children = (this.childCells ??= new Map());
    if (children.has(name)) throw new ActorNameTakenError(this.path, name);
    const cell = new ActorCell<C>(this.runtime, this as ActorCell<unknown>, name, factory, options);
    if (options?.mailbox !== undefined) cell.mailbox = Mailbox.from(options.mailbox);
    children.set(name, cell as ActorCell<unknown>);
    cell.flags |= SCHEDULED;
    this.runtime.dispatcher.schedule(cell);
    return cell;
  }

  stop(ref: ActorRef<never>): void {
    ref[sendSystemMessage](STOP);
  }

  watch(ref: ActorRef<never>, message?: M): void {
    if (this.status >= STOPPING) return;
    if (ref.path === this.path) return;
    this.deathWatch.watch(ref, message);
  }

  unwatch(ref: ActorRef<never>): void {
    this.extras?.deathWatch?.unwatch(ref);
  }

  stash(): void {
    if (this.current === NO_MESSAGE) throw new TypeError('stash(): call it only while handling a message');
    const buffer = (this.more.stashBuffer ??= new RingBuffer());
    const capacity = this.options?.stashCapacity ?? DEFAULT_STASH_CAPACITY;
    if (buffer.size >= capacity) throw new StashOverflowError(this.path, capacity);
    buffer.push(this.current);
  }

  unstashAll(): void {
    const buffer = this.extras?.stashBuffer;
    if (buffer === undefined || buffer.size === 0) return;
    const mailbox = this.ensureMailbox();
    while (buffer.size > 0) {
      const message = buffer.pop();
      if (message instanceof Signal) this.pendingSignals++;
      mailbox.unshift(message);
    }
    this.scheduleIfRunnable();
  }

  // ---- Delivery -----------------------------------------------------------------

  /** The `tell` path: no allocation unless the mailbox grows. */
  tell(message: M): void {
    if (this.status === STOPPED) {
      this.runtime.deadLetter(message, this.path, 'recipient-stopped');
      return;
    }
    const mailbox = this.mailbox ?? this.ensureMailbox();
    if (mailbox.size < mailbox.capacity) mailbox.push(message);
    else if (!this.overflow(mailbox, message)) return;
    if (this.flags === 0 && this.status === ACTIVE) {
      this.flags = SCHEDULED;
      this.runtime.dispatcher.schedule(this);
    }
  }

  /** Queues a runtime-made message behind the user messages already queued. */
  enqueueSignal(signal: Signal): void {
    if (this.status === STOPPED) return;
    this.pendingSignals++;
    this.ensureMailbox().push(signal);
    this.scheduleIfRunnable();
  }

  sendSystem(message: SystemMessage): void {
    if (this.status === STOPPED) {
      this.afterStopSystemMessage(message);
      return;
    }
    if (message.kind === 'stop') this.flags |= STOP_REQUESTED;
    (this.systemQueue ??= []).push(message);
    if ((this.flags & SCHEDULED) === 0) {
      this.flags |= SCHEDULED;
      this.runtime.dispatcher.schedule(this);
    }
  }

  /**
   * A balancing-pool routee picked for the next shared message: schedules a turn and
   * says whether the routee will take it soon (false when busy, failed or stopping).
   */
  wake(): boolean {
    if (this.status !== ACTIVE || (this.flags & (AWAITING | STOP_REQUESTED)) !== 0) return false;
    if ((this.flags & SCHEDULED) === 0) {
      this.flags |= SCHEDULED;
      this.runtime.dispatcher.schedule(this);
    }
    return true;
  }

  // ---- Run loop -----------------------------------------------------------------

  run(budget: number): number {
    this.flags &= ~SCHEDULED;
    if (this.systemQueue !== undefined && this.systemQueue.length > 0) this.processSystemMessages();
    if (this.status === CREATED) this.create();
    const mailbox = this.mailbox;
    let processed = 0;
    if (mailbox !== undefined) {
      while (processed < budget && mailbox.size > 0 && this.status === ACTIVE && (this.flags & AWAITING) === 0) {
        processed++;
        this.invoke(mailbox.shift());
        if (this.systemQueue !== undefined && this.systemQueue.length > 0) this.processSystemMessages();
      }
    }
    if (this.options?.shared !== undefined) processed += this.runShared(budget - processed);
    this.afterTurn();
    return processed;
  }

  /** A balancing-pool routee: its own mailbox first, then the pool's shared queue. */
  private runShared(budget: number): number {
    const shared = (this.options?.shared as SharedMailboxWiring).mailbox;
    let processed = 0;
    while (processed < budget && this.status === ACTIVE && (this.flags & AWAITING) === 0) {
      const own = this.mailbox;
      const source = own !== undefined && own.size > 0 ? own : shared.size > 0 ? shared : undefined;
      if (source === undefined) break;
      processed++;
      this.invoke(source.shift());
      if (this.systemQueue !== undefined && this.systemQueue.length > 0) this.processSystemMessages();
    }
    return processed;
  }

  private afterTurn(): void {
    if ((this.flags & (SCHEDULED | AWAITING)) !== 0 || this.status !== ACTIVE) return;
    const shared = this.options?.shared;
    if ((this.mailbox !== undefined && this.mailbox.size > 0) || (shared !== undefined && shared.mailbox.size > 0)) {
      this.flags |= SCHEDULED;
      this.runtime.dispatcher.schedule(this);
    } else if (shared !== undefined) {
      shared.onIdle(this as ActorCell<unknown>);
    }
  }

  private invoke(message: unknown): void {
    const actor = this.instance as Actor<M>;
    this.current = message;
    let result: void | Promise<void>;
    try {
      if (this.pendingSignals > 0 && message instanceof Signal) {
        this.pendingSignals--;
        result = this.invokeSignal(actor, message);
      } else {
        result = actor.receive(message as M);
      }
    } catch (error) {
      // `current` stays set while failed: preRestart receives the failing message.
      this.fail(error);
      return;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') this.await(result as Promise<void>, false);
    else this.current = NO_MESSAGE;
  }

  private invokeSignal(actor: Actor<M>, signal: Signal): void | Promise<void> {
    if (signal instanceof Terminated) return actor.onTerminated(signal.ref);
    if (signal instanceof TimerFired) {
      if (this.extras?.timerScheduler?.accept(signal) !== true) return;
      this.current = signal.message;
      return actor.receive(signal.message as M);
    }
  }

  /** Suspends the mailbox until `promise` settles. */
  private await(promise: Promise<void>, initializing: boolean): void {
    this.flags |= AWAITING;
    const generation = this.generation;
    promise.then(
      () => {
        if (generation !== this.generation) return;
        this.flags &= ~AWAITING;
        this.current = NO_MESSAGE;
        this.afterTurn();
      },
      (error: unknown) => {
        if (generation !== this.generation) return;
        this.flags &= ~AWAITING;
        this.fail(initializing ? new ActorInitializationError(this.path, error) : error);
      },
    );
  }

  private ensureMailbox(): Mailbox {
    return (this.mailbox ??= Mailbox.from(this.options?.mailbox));
  }

  private scheduleIfRunnable(): void {
    if ((this.flags & (SCHEDULED | AWAITING)) === 0 && this.status === ACTIVE) {
      this.flags |= SCHEDULED;
      this.runtime.dispatcher.schedule(this);
    }
  }

  /** Applies the overflow policy; returns true when `message` was queued after all. */
  private overflow(mailbox: Mailbox, message: unknown): boolean {
    switch (mailbox.overflow) {
      case 'drop-oldest': {
        const oldest = mailbox.peek();
        // A Terminated or timer signal is never shed: the new message goes instead.
        if (oldest instanceof Signal) {
          this.runtime.deadLetter(message, this.path, 'mailbox-full');
          return false;
        }
        this.runtime.deadLetter(mailbox.shift(), this.path, 'mailbox-dropped-oldest');
        mailbox.push(message);
        return true;
      }
      case 'fail':
        this.runtime.deadLetter(message, this.path, 'mailbox-full');
        throw new MailboxOverflowError(this.path, mailbox.capacity);
      default:
        this.runtime.deadLetter(message, this.path, 'mailbox-full');
        return false;
    }
  }

  // ---- Lifecycle ----------------------------------------------------------------

  private create(): void {
    this.status = ACTIVE;
    this.startInstance((actor) => actor.preStart());
  }

  /** Builds a fresh instance and runs `hook` on it; any throw is an initialization failure. */
  private startInstance(hook: (actor: Actor<M>) => void | Promise<void>): void {
    let result: void | Promise<void>;
    try {
      const actor = constructWith(new InstanceContext<M>(this, this.generation) as ActorContext<unknown>, this.factory);
      this.instance = actor;
      result = hook(actor);
    } catch (error) {
      this.fail(new ActorInitializationError(this.path, error));
      return;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') this.await(result as Promise<void>, true);
  }

  /** Suspends this actor and reports `error` to the parent's supervisor. */
  private fail(error: unknown): void {
    if (this.status !== ACTIVE) {
      this.runtime.log.error(`${this.path} failed while ${this.status >= STOPPING ? 'stopping' : 'restarting'}: ${describe(error)}`, { error });
      return;
    }
    this.status = FAILED;
    const parent = this.parentCell;
    if (parent === undefined) {
      this.runtime.log.error(`${this.path} failed and has no supervisor; stopping it: ${describe(error)}`, { error });
      this.sendSystem(STOP);
      return;
    }
    parent.sendSystem({ kind: 'child-failed', child: this.ref as ActorRef<never>, error });
  }

  private processSystemMessages(): void {
    const queue = this.systemQueue as SystemMessage[];
    // Handlers may queue more system messages; process until none are left.
    for (let i = 0; i < queue.length; i++) {
      if (this.status === STOPPED) {
        for (let j = i; j < queue.length; j++) this.afterStopSystemMessage(queue[j] as SystemMessage);
        break;
      }
      this.handleSystem(queue[i] as SystemMessage);
    }
    queue.length = 0;
  }

  private handleSystem(message: SystemMessage): void {
    switch (message.kind) {
      case 'stop':
        this.beginStop();
        break;
      case 'watch':
        this.deathWatch.addWatcher(message.watcher);
        break;
      case 'unwatch':
        this.extras?.deathWatch?.removeWatcher(message.watcher);
        break;
      case 'death-watch-notification':
        this.watchedTerminated(message.ref);
        break;
      case 'child-failed':
        this.superviseFailure(message.child, message.error);
        break;
      case 'child-terminated':
        this.childTerminated(message.child);
        break;
      case 'resume':
        // An actor whose creation failed has no instance to resume: build one.
        if (this.status === FAILED && this.instance === undefined) this.beginRestart(undefined);
        else if (this.status === FAILED) {
          this.status = ACTIVE;
          this.current = NO_MESSAGE;
          // A child whose failure this actor escalated resumes with it.
          this.forEachFailedChild((child) => child.sendSystem(RESUME));
        }
        break;
      case 'restart':
        this.beginRestart(message.error);
        break;
    }
  }

  /** System messages to a stopped actor: watchers learn at once that it is gone. */
  private afterStopSystemMessage(message: SystemMessage): void {
    if (message.kind === 'watch') message.watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: this.ref as ActorRef<never> });
  }

  private watchedTerminated(ref: ActorRef<never>): void {
    const deathWatch = this.extras?.deathWatch;
    if (deathWatch === undefined || this.status >= STOPPING) return;
    const watched = deathWatch.takeTerminated(ref);
    if (watched === undefined) return;
    const message = watched.message;
    if (message === undefined) {
      this.pendingSignals++;
      this.ensureMailbox().push(new Terminated(ref));
    } else {
      this.ensureMailbox().push(message);
    }
  }

  private superviseFailure(childRef: ActorRef<never>, error: unknown): void {
    const child = this.childCells?.get(nameOf(childRef));
    if (child === undefined || child.ref !== childRef || child.status !== FAILED || (child.flags & RESTART_PENDING) !== 0) return;
    let decision: SupervisionDecision;
    try {
      const chosen = child.options?.supervision ?? this.instance?.supervisorStrategy() ?? SupervisorStrategy.default;
      decision = decideSupervision(chosen, error, (child.more.restartStats ??= new RestartStatistics()), this.runtime.clock.now());
    } catch (strategyError) {
      decision = brokenStrategyDecision(strategyError);
    }
    const { strategy, directive, delayMs, limitReached, strategyFailure } = decision;
    if (strategyFailure !== undefined) {
      // A broken strategy must not wedge the child: escalate, as Akka does.
      this.runtime.log.error(`${this.path}: supervisor strategy threw while deciding about ${child.path}: ${describe(strategyFailure.error)}; escalating`, { error: strategyFailure.error });
    }
    if (strategy.logFailures) {
      const why = limitReached ? ` (restart limit ${strategy.maxRetries} reached)` : '';
      const after = delayMs > 0 ? ` in ${Math.round(delayMs)} ms` : '';
      this.runtime.log.error(`${child.path} failed: ${describe(error)}; supervisor decided: ${directive}${after}${why}`, {
        child: child.path,
        directive,
        delayMs,
        error,
      });
    }
    const targets = strategy.scope === 'all-for-one' && directive !== 'escalate' ? [...(this.childCells?.values() ?? [])] : [child];
    switch (directive) {
      case 'resume':
        for (const target of targets) target.sendSystem(RESUME);
        break;
      case 'restart':
        for (const target of targets) {
          if ((target.flags & STOP_REQUESTED) !== 0) continue;
          target.flags |= RESTART_PENDING;
          const restart: SystemMessage = { kind: 'restart', error };
          target.extras?.delayedRestart?.cancel();
          if (delayMs > 0) target.more.delayedRestart = this.runtime.clock.schedule(delayMs, () => target.sendSystem(restart));
          else target.sendSystem(restart);
        }
        break;
      case 'stop':
        for (const target of targets) target.sendSystem(STOP);
        break;
      case 'escalate':
        if (this.parentCell === undefined) child.sendSystem(STOP);
        else this.fail(new EscalatedFailureError(child.path, error));
        break;
    }
  }

  /** Children left failed (e.g. after an escalation), for resume and restart to pick up. */
  private forEachFailedChild(each: (child: ActorCell<unknown>) => void): void {
    if (this.childCells === undefined) return;
    for (const child of this.childCells.values()) if (child.status === FAILED && (child.flags & RESTART_PENDING) === 0) each(child);
  }

  private beginRestart(error: unknown): void {
    this.flags &= ~RESTART_PENDING;
    this.cancelDelayedRestart();
    if (this.status >= STOPPING) return;
    const old = this.instance;
    this.generation++;
    this.flags &= ~AWAITING;
    this.status = RESTARTING;
    this.retireTimers();
    if (old !== undefined) {
      try {
        old.preRestart(error, this.current === NO_MESSAGE ? undefined : (this.current as M));
      } catch (hookError) {
        this.runtime.log.error(`${this.path} preRestart threw: ${describe(hookError)}`, { error: hookError });
      }
    }
    this.instance = undefined;
    this.current = NO_MESSAGE;
    this.unstashAll();
    if (!this.hasStoppingChildren()) this.finishRestart(error);
    else this.more.pendingRestartError = { error };
  }

  private finishRestart(error: unknown): void {
    if (this.extras !== undefined) this.extras.pendingRestartError = undefined;
    this.status = ACTIVE;
    this.startInstance((actor) => actor.postRestart(error));
    // Children the old instance kept (a custom preRestart) and that had failed restart too.
    this.forEachFailedChild((child) => child.sendSystem({ kind: 'restart', error }));
    this.afterTurn();
  }

  private cancelDelayedRestart(): void {
    const extras = this.extras;
    if (extras?.delayedRestart === undefined) return;
    extras.delayedRestart.cancel();
    extras.delayedRestart = undefined;
  }

  /** Cancels the outgoing instance's timers for good; its context keeps the retired scheduler. */
  private retireTimers(): void {
    const extras = this.extras;
    if (extras?.timerScheduler === undefined) return;
    extras.timerScheduler.retire();
    extras.timerScheduler = undefined;
  }

  private beginStop(): void {
    this.cancelDelayedRestart();
    if (this.status >= STOPPING) return;
    this.status = STOPPING;
    this.generation++;
    this.flags &= ~AWAITING;
    this.retireTimers();
    if (this.childCells !== undefined && this.childCells.size > 0) {
      for (const child of this.childCells.values()) child.sendSystem(STOP);
      return;
    }
    this.finishStop();
  }

  private finishStop(): void {
    const actor = this.instance;
    this.instance = undefined;
    this.status = STOPPED;
    this.current = NO_MESSAGE;
    if (actor !== undefined) {
      try {
        actor.postStop();
      } catch (error) {
        this.runtime.log.error(`${this.path} postStop threw: ${describe(error)}`, { error });
      }
    }
    if (this.mailbox !== undefined && this.mailbox.size > 0) {
      const path = this.path;
      this.mailbox.drain((message) => {
        if (!(message instanceof Signal)) this.runtime.deadLetter(message, path, 'recipient-stopped');
      });
    }
    const extras = this.extras;
    if (extras?.stashBuffer !== undefined && extras.stashBuffer.size > 0) {
      const path = this.path;
      extras.stashBuffer.drain((message) => this.runtime.deadLetter(message, path, 'stash-discarded'));
    }
    extras?.deathWatch?.selfStopped();
    this.systemQueue = undefined;
    this.options?.shared?.onStopped(this as ActorCell<unknown>);
    this.parentCell?.sendSystem({ kind: 'child-terminated', child: this.ref as ActorRef<never> });
    extras?.onStopped?.();
  }

  /** Set by the system on its guardian to learn when everything has stopped. */
  set onStopped(callback: () => void) {
    this.more.onStopped = callback;
  }

  private childTerminated(childRef: ActorRef<never>): void {
    const children = this.childCells;
    if (children === undefined) return;
    const name = nameOf(childRef);
    if (children.get(name)?.ref === childRef) children.delete(name);
    if (this.status === STOPPING && children.size === 0) this.finishStop();
    else if (this.status === RESTARTING && this.extras?.pendingRestartError !== undefined && !this.hasStoppingChildren()) this.finishRestart(this.extras.pendingRestartError.error);
  }

  private hasStoppingChildren(): boolean {
    if (this.childCells === undefined) return false;
    for (const child of this.childCells.values()) if ((child.flags & STOP_REQUESTED) !== 0) return true;
    return false;
  }
}

function nameOf(ref: ActorRef<never>): string {
  return (ref as unknown as LocalActorRef<never>).cell.name;
}
