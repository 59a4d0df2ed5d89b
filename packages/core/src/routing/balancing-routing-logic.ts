import type { ActorRef } from '../actor-ref.js';
import type { ActorCell, SharedMailboxWiring } from '../internal/actor-cell.js';
import { Mailbox, type MailboxOptions } from '../mailbox/mailbox.js';
import type { RouterContext, RoutingLogic } from './routing-logic.js';

/**
 * The balancing pool: all routees take messages from one shared mailbox. A message
 * is handed to an idle routee; a busy routee (handling a message or awaiting its
 * Promise) gets nothing until it is done, then takes the next queued message.
 */
export class BalancingRoutingLogic<M> implements RoutingLogic<M> {
  /** Given to every routee so they share the queue and report when idle. @internal */
  readonly wiring: SharedMailboxWiring;
  private readonly mailbox: Mailbox;
  private readonly idle = new Set<ActorCell<unknown>>();

  constructor(mailbox?: MailboxOptions) {
    this.mailbox = Mailbox.from(mailbox);
    this.wiring = {
      mailbox: this.mailbox,
      onIdle: (cell) => {
        if (this.mailbox.size === 0 || !cell.wake()) this.idle.add(cell);
      },
      onStopped: (cell) => {
        this.idle.delete(cell);
        if (this.mailbox.size > 0) this.wakeOne();
      },
    };
  }

  /** Messages waiting in the shared queue. */
  get queued(): number {
    return this.mailbox.size;
  }

  route(message: M, _routees: readonly ActorRef<M>[], router: RouterContext): void {
    if (this.mailbox.size >= this.mailbox.capacity) {
      router.deadLetter(message, 'mailbox-full');
      return;
    }
    this.mailbox.push(message);
    if (this.idle.size > 0) this.wakeOne();
  }

  /** Hands the queue to the first idle routee that can take it; drops stale idle entries on the way. */
  private wakeOne(): void {
    for (const cell of this.idle) {
      this.idle.delete(cell);
      if (cell.wake()) return;
    }
  }

  routeesChanged(): void {
    for (const cell of this.idle) if (cell.isTerminated) this.idle.delete(cell);
  }

  /** Hands every message still queued to `each` (dead letters when the pool stops). */
  drain(each: (message: unknown) => void): void {
    this.mailbox.drain(each);
  }
}
