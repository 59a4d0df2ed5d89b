import { ActorRef, sendSystemMessage } from '../actor-ref.js';
import type { ActorSystem } from '../actor-system.js';
import type { Cancellable } from '../clock.js';
import type { SystemMessage } from '../internal/system-message.js';
import type { RouterContext, RoutingLogic } from './routing-logic.js';

/** Options of scatter-gather-first-completed routing. */
export interface ScatterGatherOptions<M, R> {
  /** How long to wait for the first reply; later replies are dropped. @default 5000 */
  readonly withinMs?: number;
  /** The reply address inside a message. @default (m) => m.replyTo */
  readonly replyTo?: (message: M) => ActorRef<R>;
  /** The message with its reply address replaced. @default (m, r) => ({ ...m, replyTo: r }) */
  readonly withReplyTo?: (message: M, replyTo: ActorRef<R>) => M;
}

/**
 * Sends each message to every routee with a reply address of its own; the first
 * reply is passed to the original `replyTo`, the others are dropped. Use it with
 * `ask` to take the fastest of several equivalent services.
 */
export class ScatterGatherFirstCompletedRoutingLogic<M, R> implements RoutingLogic<M> {
  private readonly withinMs: number;
  private readonly replyTo: (message: M) => ActorRef<R>;
  private readonly withReplyTo: (message: M, replyTo: ActorRef<R>) => M;
  private counter = 0;

  constructor(options: ScatterGatherOptions<M, R> = {}) {
    this.withinMs = options.withinMs ?? 5000;
    if (!(Number.isFinite(this.withinMs) && this.withinMs > 0)) throw new RangeError(`scatterGatherFirstCompleted: withinMs must be a finite number > 0, got ${options.withinMs}`);
    this.replyTo = options.replyTo ?? ((message) => (message as { replyTo: ActorRef<R> }).replyTo);
    this.withReplyTo = options.withReplyTo ?? ((message, replyTo) => ({ ...(message as object), replyTo }) as M);
  }

  route(message: M, routees: readonly ActorRef<M>[], router: RouterContext): void {
    const original = this.replyTo(message);
    if (!(original instanceof ActorRef)) {
      router.deadLetter(message, 'scatter-gather message has no replyTo ref');
      return;
    }
    const first = new FirstReplyRef<R>(router.system, `${router.path}/$sg${(this.counter++).toString(36)}`, original);
    first.expireAfter(this.withinMs);
    const forwarded = this.withReplyTo(message, first);
    for (const routee of routees) routee.tell(forwarded);
  }
}

/**
 * Passes the first message it gets to `target`; drops the rest and anything after
 * `withinMs`. Once done it counts as terminated: its watchers (a transport that exported
 * it for remote replies) are told, so they can let it go.
 */
class FirstReplyRef<R> extends ActorRef<R> {
  private done = false;
  private timer: Cancellable | undefined;
  private watchers: ActorRef<never>[] | undefined;

  constructor(
    readonly system: ActorSystem,
    readonly path: string,
    private readonly target: ActorRef<R>,
  ) {
    super();
  }

  expireAfter(ms: number): void {
    this.timer = this.system.clock.schedule(ms, () => this.finish());
  }

  tell(reply: R): void {
    if (this.done) return;
    this.timer?.cancel();
    this.finish();
    this.target.tell(reply);
  }

  [sendSystemMessage](message: SystemMessage): void {
    if (message.kind === 'watch') {
      if (this.done) message.watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: this as ActorRef<never> });
      else (this.watchers ??= []).push(message.watcher);
    } else if (message.kind === 'unwatch') {
      this.watchers = this.watchers?.filter((watcher) => watcher !== message.watcher);
    }
  }

  private finish(): void {
    this.done = true;
    const watchers = this.watchers;
    this.watchers = undefined;
    for (const watcher of watchers ?? []) watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: this as ActorRef<never> });
  }
}
