import { isDeepStrictEqual, inspect } from 'node:util';
import { ActorRef, type ActorSystem } from '@troupe/core';
import { type SystemMessage, sendSystemMessage } from '@troupe/core/spi';

/** Options of `TestProbe.create`. */
export interface TestProbeOptions {
  /** Name in the probe's path. @default a generated `probe-N` */
  readonly name?: string;
  /** Default deadline of every expectation, in ms. @default 3000 */
  readonly timeoutMs?: number;
}

type Waiter = { readonly accept: () => boolean };

let probeCounter = 0;

/**
 * A ref you can hand to actors and then assert on: everything told to `probe.ref`
 * queues up, and `expect…` awaits the next message with a deadline. It can also
 * watch actors and expect their termination.
 *
 * @example
 * const probe = TestProbe.create<number>(system);
 * counter.tell({ type: 'get', replyTo: probe.ref });
 * await probe.expectMessage(3);
 */
export class TestProbe<M = unknown> {
  /** Hand this to actors; what they tell it is queued for the expectations. */
  readonly ref: ActorRef<M>;
  private readonly messages: M[] = [];
  private readonly terminated: string[] = [];
  private waiters: Waiter[] = [];
  private readonly timeoutMs: number;

  private constructor(system: ActorSystem, options: TestProbeOptions) {
    this.timeoutMs = options.timeoutMs ?? 3000;
    if (!(this.timeoutMs > 0)) throw new RangeError(`TestProbe: timeoutMs must be > 0, got ${options.timeoutMs}`);
    this.ref = new ProbeRef<M>(system, `${system.address}/system/${options.name ?? `probe-${probeCounter++}`}`, this);
  }

  /** A new probe on `system`. */
  static create<M = unknown>(system: ActorSystem, options: TestProbeOptions = {}): TestProbe<M> {
    return new TestProbe<M>(system, options);
  }

  /** Messages received and not yet consumed by an expectation. */
  get queued(): readonly M[] {
    return this.messages;
  }

  /** @internal called by the probe's ref. */
  deliver(message: M): void {
    this.messages.push(message);
    this.wake();
  }

  /**
   * Stops the probe: its ref counts as terminated from now on, so whoever watches it (a
   * cluster transport that exported it for replies from another node) lets it go, and
   * what is told to it afterwards is dropped. Stopping twice is harmless.
   */
  stop(): void {
    (this.ref as ProbeRef<M>).stop();
  }

  /** True once `stop()` was called. */
  get isStopped(): boolean {
    return (this.ref as ProbeRef<M>).stopped;
  }

  /** @internal called by the probe's ref. */
  deliverTerminated(path: string): void {
    this.terminated.push(path);
    this.wake();
  }

  /**
   * The next message, which must equal `expected` (deep equality) or satisfy it when
   * `expected` is a predicate. Resolves with the message; rejects at the deadline or
   * when the next message does not match.
   */
  async expectMessage(expected?: M | ((message: M) => boolean), timeoutMs = this.timeoutMs): Promise<M> {
    const message = await this.next(timeoutMs, `a message${expected === undefined ? '' : ` matching ${describeExpected(expected)}`}`);
    if (expected !== undefined) {
      const ok = typeof expected === 'function' ? (expected as (m: M) => boolean)(message) : isDeepStrictEqual(message, expected);
      if (!ok) throw new Error(`TestProbe: expected ${describeExpected(expected)} but received ${inspect(message, { depth: 4 })}`);
    }
    return message;
  }

  /** Waits `windowMs` and fails if any message arrived meanwhile (or was already queued). */
  async expectNoMessage(windowMs = 100): Promise<void> {
    if (this.messages.length === 0) await new Promise<void>((resolve) => setTimeout(resolve, windowMs));
    if (this.messages.length > 0) throw new Error(`TestProbe: expected no message for ${windowMs} ms but received ${inspect(this.messages[0], { depth: 4 })}`);
  }

  /** The next `n` messages, in order. */
  async receiveN(n: number, timeoutMs = this.timeoutMs): Promise<M[]> {
    const deadline = performance.now() + timeoutMs;
    const received: M[] = [];
    while (received.length < n) {
      received.push(await this.next(Math.max(1, deadline - performance.now()), `${n} messages (got ${received.length})`));
    }
    return received;
  }

  /** Skips messages until one satisfies `predicate`, and returns it. */
  async fishForMessage(predicate: (message: M) => boolean, timeoutMs = this.timeoutMs): Promise<M> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const message = await this.next(Math.max(1, deadline - performance.now()), 'a message satisfying the fishing predicate');
      if (predicate(message)) return message;
    }
  }

  /** Watches `ref`, so `expectTerminated(ref)` can see it stop. */
  watch(ref: ActorRef<never>): void {
    ref[sendSystemMessage]({ kind: 'watch', watcher: this.ref });
  }

  /** Watches `ref` (if not yet watched) and waits until it has terminated. */
  async expectTerminated(ref: ActorRef<never>, timeoutMs = this.timeoutMs): Promise<void> {
    const path = ref.path;
    if (!this.terminated.includes(path)) this.watch(ref);
    await this.waitFor(() => this.terminated.includes(path), timeoutMs, `termination of ${path}`);
    this.terminated.splice(this.terminated.indexOf(path), 1);
  }

  private async next(timeoutMs: number, what: string): Promise<M> {
    await this.waitFor(() => this.messages.length > 0, timeoutMs, what);
    return this.messages.shift() as M;
  }

  private waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        accept: () => {
          if (!ready()) return false;
          clearTimeout(timer);
          resolve();
          return true;
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`TestProbe: timeout (${timeoutMs} ms) waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private wake(): void {
    this.waiters = this.waiters.filter((waiter) => !waiter.accept());
  }
}

/**
 * The probe's ref: queues messages and death-watch notifications, and can be watched, so
 * that a transport which exported it for remote replies learns when the probe stops.
 */
class ProbeRef<M> extends ActorRef<M> {
  stopped = false;
  private watchers: ActorRef<never>[] | undefined;

  constructor(
    readonly system: ActorSystem,
    readonly path: string,
    private readonly probe: TestProbe<M>,
  ) {
    super();
  }

  tell(message: M): void {
    if (!this.stopped) this.probe.deliver(message);
  }

  [sendSystemMessage](message: SystemMessage): void {
    if (message.kind === 'death-watch-notification') {
      if (!this.stopped) this.probe.deliverTerminated(message.ref.path);
    } else if (message.kind === 'watch') {
      if (this.stopped) message.watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: this });
      else (this.watchers ??= []).push(message.watcher);
    } else if (message.kind === 'unwatch') {
      this.watchers = this.watchers?.filter((watcher) => watcher !== message.watcher);
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const watchers = this.watchers;
    this.watchers = undefined;
    for (const watcher of watchers ?? []) watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: this });
  }
}

function describeExpected(expected: unknown): string {
  return typeof expected === 'function' ? `predicate ${expected.name || '(anonymous)'}` : inspect(expected, { depth: 4 });
}
