import { Actor } from './actor.js';
import { ActorRef, type AskOptions, sendSystemMessage } from './actor-ref.js';
import { type Clock, SystemClock } from './clock.js';
import type { DeadLetter, DeadLetterReason } from './dead-letter.js';
import { AskAbortedError, SystemTerminatedError } from './errors.js';
import { EventStream } from './event-stream.js';
import { ActorCell } from './internal/actor-cell.js';
import { AskTimeouts } from './internal/ask-timeouts.js';
import { Dispatcher } from './internal/dispatcher.js';
import { assertSupportedNode } from './node-version.js';
import { assertSingleCoreCopy } from './internal/single-core-copy.js';
import { PromiseActorRef } from './internal/promise-actor-ref.js';
import { STOP, type SystemMessage } from './internal/system-message.js';
import type { SystemRuntime } from './internal/system-runtime.js';
import { TempRefs } from './internal/temp-refs.js';
import { ConsoleLogger, type Logger } from './logger.js';
import type { SpawnOptions } from './spawn-options.js';
import { SupervisorStrategy } from './supervision/supervisor-strategy.js';

/** Options of `ActorSystem.create`. Every field is optional. */
export interface ActorSystemOptions {
  /** Name in every actor path (`troupe://<name>/user/...`). @default 'troupe' */
  readonly name?: string;
  /** Source of time for timers, ask timeouts and backoff; `ManualClock` in tests. @default SystemClock */
  readonly clock?: Clock;
  /** Where the runtime logs supervision decisions and hook errors. @default ConsoleLogger('warn') */
  readonly logger?: Logger;
  /** Most messages one actor handles per turn before others get a turn. @default 64 */
  readonly throughput?: number;
  /** Milliseconds of actor work after which the dispatcher yields to the event loop. @default 4 */
  readonly timeSliceMs?: number;
  /** Default `ask` timeout in ms. @default 5000 */
  readonly askTimeoutMs?: number;
  /** How the user guardian supervises top-level actors. @default SupervisorStrategy.default */
  readonly guardianStrategy?: SupervisorStrategy;
  /** Path prefix; set by `@troupe/cluster` to include host, port and incarnation. @default `troupe://<name>` */
  readonly address?: string;
}

/** Topics the system itself publishes on its event stream. */
export interface SystemEvents {
  /** A message that could not be delivered. */
  'dead-letter': DeadLetter;
}

/** The settings a system runs with, defaults applied. */
export interface ActorSystemSettings {
  readonly name: string;
  readonly throughput: number;
  readonly timeSliceMs: number;
  readonly askTimeoutMs: number;
}

const SYSTEM_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * A tree of actors sharing one dispatcher, clock, event stream and dead-letter
 * channel. Create one per process (or per node of a cluster) and terminate it on
 * shutdown, or hold it with `await using` (it terminates when the block ends).
 *
 * @example
 * const system = ActorSystem.create({ name: 'demo' });
 * const counter = system.spawn(() => new Counter(), { name: 'counter' });
 * counter.tell({ type: 'add', n: 2 });
 * console.log(await counter.ask<number>((replyTo) => ({ type: 'get', replyTo })));
 * await system.terminate();
 */
export class ActorSystem {
  /** The settings in force, defaults applied. */
  readonly settings: ActorSystemSettings;
  /** Publish–subscribe for system events (`dead-letter`) and your own topics. */
  readonly eventStream: EventStream<SystemEvents & Record<string, unknown>>;
  /** Messages told to this ref are published as dead letters. */
  readonly deadLetters: ActorRef<unknown>;
  /** Resolves once every actor has stopped after `terminate()`. */
  readonly whenTerminated: Promise<void>;

  private readonly runtime: Runtime;
  private readonly guardian: ActorCell<never>;
  private terminating = false;

  private constructor(options: ActorSystemOptions) {
    const settings = resolveSettings(options);
    this.settings = settings;
    const log = options.logger ?? new ConsoleLogger('warn');
    this.eventStream = new EventStream(log);
    const { promise, resolve } = Promise.withResolvers<void>();
    this.whenTerminated = promise;
    this.runtime = new Runtime(this, options.address ?? `troupe://${settings.name}`, options.clock ?? new SystemClock(), log, new Dispatcher(settings.throughput, settings.timeSliceMs));
    this.deadLetters = new DeadLetterRef(this.runtime);
    const strategy = options.guardianStrategy ?? SupervisorStrategy.default;
    if (!(strategy instanceof SupervisorStrategy)) throw new TypeError('ActorSystem: guardianStrategy must be a SupervisorStrategy');
    this.guardian = new ActorCell<never>(this.runtime, undefined, 'user', () => new UserGuardian(strategy), undefined);
    this.guardian.onStopped = () => {
      this.runtime.terminated = true;
      this.runtime.askTimeouts.close(new SystemTerminatedError(this.name, 'wait for an ask reply'));
      resolve();
    };
    this.guardian.run(0);
    runtimes.set(this, { runtime: this.runtime, guardian: this.guardian });
  }

  /**
   * Creates and starts an actor system.
   * @throws TypeError/RangeError naming a bad option; UnsupportedNodeError on a Node.js older than the `engines` field says
   */
  static create(options: ActorSystemOptions = {}): ActorSystem {
    assertSupportedNode(process.versions.node);
    assertSingleCoreCopy(import.meta.url);
    if (options === null || typeof options !== 'object') throw new TypeError('ActorSystem.create: options must be an object');
    return new ActorSystem(options);
  }

  /** The system's name. */
  get name(): string {
    return this.settings.name;
  }

  /** Path prefix of every actor of this system. */
  get address(): string {
    return this.runtime.address;
  }

  /** The clock timers and timeouts run on. */
  get clock(): Clock {
    return this.runtime.clock;
  }

  /** The logging hook. */
  get log(): Logger {
    return this.runtime.log;
  }

  /** How many dead letters this system has seen. */
  get deadLetterCount(): number {
    return this.runtime.deadLetterCount;
  }

  /** True once `terminate()` has completed. */
  get isTerminated(): boolean {
    return this.runtime.terminated;
  }

  /**
   * Starts a top-level actor (a child of the user guardian) and returns its ref.
   * @throws ActorNameTakenError when a live top-level actor has the name
   */
  spawn<M>(factory: () => Actor<M>, options?: SpawnOptions): ActorRef<M> {
    if (this.terminating) throw new SystemTerminatedError(this.name, 'spawn');
    return this.guardian.spawn(factory, options);
  }

  /** Stops an actor asynchronously (children first). */
  stop(ref: ActorRef<never>): void {
    ref[sendSystemMessage](STOP);
  }

  /**
   * Request–response with any ref; see `ActorRef.ask`. The reply type `R` comes from the
   * builder's annotated parameter or an explicit type argument; without either the call
   * does not compile (rather than resolving to `unknown`).
   */
  ask<M, R = never>(target: ActorRef<M>, build: (replyTo: ActorRef<R>) => NoInfer<M>, options?: AskOptions): Promise<R> {
    const timeoutMs = options?.timeoutMs ?? this.settings.askTimeoutMs;
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) return Promise.reject(new RangeError(`ask: timeoutMs must be a finite number > 0, got ${timeoutMs}`));
    if (this.runtime.terminated) return Promise.reject(new SystemTerminatedError(this.name, `ask ${target.path}`));
    const { promise, resolve, reject } = Promise.withResolvers<R>();
    const signal = options?.signal;
    const replyTo = new PromiseActorRef<R>(this.runtime, this.runtime.nextTempId(), target as ActorRef<never>, resolve, reject);
    if (signal?.aborted === true) {
      replyTo.fail(new AskAbortedError(target.path, signal.reason));
      return promise;
    }
    replyTo.start(timeoutMs, signal);
    let message: M;
    try {
      message = build(replyTo);
    } catch (error) {
      replyTo.fail(error);
      return promise;
    }
    try {
      target.tell(message);
    } catch (error) {
      // e.g. MailboxOverflowError from a full mailbox with the `fail` policy: the caller learns it through the Promise.
      replyTo.fail(error);
    }
    return promise;
  }

  /** Stops every actor (children before parents) and resolves when all have stopped. */
  terminate(): Promise<void> {
    if (!this.terminating) {
      this.terminating = true;
      this.guardian.sendSystem(STOP);
    }
    return this.whenTerminated;
  }

  /**
   * `terminate()`, for `await using system = ActorSystem.create(...)`: the system stops
   * when the block ends, by a throw too. Harmless after `terminate()`.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.terminate();
  }
}

/** Internal view of a system for `@troupe/core/spi`; kept off the public class. */
const runtimes = new WeakMap<ActorSystem, { runtime: SystemRuntime; guardian: ActorCell<never> }>();

/** The runtime and guardian behind `system` (for `@troupe/core/spi`). */
export function internalsOf(system: ActorSystem): { runtime: SystemRuntime; guardian: ActorCell<never> } {
  const internals = runtimes.get(system);
  if (internals === undefined) throw new TypeError('not an ActorSystem created by ActorSystem.create');
  return internals;
}

/** The guardian of all top-level actors. */
class UserGuardian extends Actor<never> {
  constructor(private readonly strategy: SupervisorStrategy) {
    super();
  }

  receive(): void {}

  override supervisorStrategy(): SupervisorStrategy {
    return this.strategy;
  }
}

/** The system's shared state, as cells see it. */
class Runtime implements SystemRuntime {
  terminated = false;
  deadLetterCount = 0;
  private anonymousCounter = 0;
  private tempCounter = 0;

  constructor(
    readonly publicSystem: ActorSystem,
    readonly address: string,
    readonly clock: Clock,
    readonly log: Logger,
    readonly dispatcher: Dispatcher,
  ) {
    this.askTimeouts = new AskTimeouts(clock);
  }

  readonly askTimeouts: AskTimeouts;
  readonly tempRefs = new TempRefs();

  deadLetter(message: unknown, recipient: string, reason: DeadLetterReason): void {
    this.deadLetterCount++;
    const stream = this.publicSystem.eventStream;
    if (stream.hasSubscribers('dead-letter')) stream.publish('dead-letter', { message, recipient, reason });
  }

  nextAnonymousName(): string {
    return `$${(this.anonymousCounter++).toString(36)}`;
  }

  nextTempId(): number {
    return this.tempCounter++;
  }
}

/** The ref behind `system.deadLetters`. */
class DeadLetterRef extends ActorRef<unknown> {
  constructor(private readonly runtime: Runtime) {
    super();
  }

  get path(): string {
    return `${this.runtime.address}/deadLetters`;
  }

  get system(): ActorSystem {
    return this.runtime.publicSystem;
  }

  tell(message: unknown): void {
    this.runtime.deadLetter(message, this.path, 'sent-to-dead-letters');
  }

  [sendSystemMessage](message: SystemMessage): void {
    if (message.kind === 'watch') message.watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: this as ActorRef<never> });
  }
}

function resolveSettings(options: ActorSystemOptions): ActorSystemSettings {
  const name = options.name ?? 'troupe';
  if (typeof name !== 'string' || !SYSTEM_NAME.test(name)) throw new TypeError(`ActorSystem: name must be letters, digits, '-' or '_' (starting with a letter or digit), got ${JSON.stringify(name)}`);
  const throughput = options.throughput ?? 64;
  if (!(Number.isInteger(throughput) && throughput > 0)) throw new RangeError(`ActorSystem: throughput must be a positive integer, got ${throughput}`);
  const timeSliceMs = options.timeSliceMs ?? 4;
  if (!(Number.isFinite(timeSliceMs) && timeSliceMs > 0)) throw new RangeError(`ActorSystem: timeSliceMs must be a finite number > 0, got ${timeSliceMs}`);
  const askTimeoutMs = options.askTimeoutMs ?? 5000;
  if (!(Number.isFinite(askTimeoutMs) && askTimeoutMs > 0)) throw new RangeError(`ActorSystem: askTimeoutMs must be a finite number > 0, got ${askTimeoutMs}`);
  if (options.clock !== undefined && (typeof options.clock.now !== 'function' || typeof options.clock.schedule !== 'function')) {
    throw new TypeError('ActorSystem: clock must implement now() and schedule(delayMs, callback)');
  }
  return { name, throughput, timeSliceMs, askTimeoutMs };
}
