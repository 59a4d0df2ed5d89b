import type { ActorContext } from './actor-context.js';
import type { ActorRef } from './actor-ref.js';
import { SupervisorStrategy } from './supervision/supervisor-strategy.js';

let constructing: ActorContext<unknown> | undefined;

/** Runs an actor factory with `context` available to the Actor constructor. */
export function constructWith<A>(context: ActorContext<unknown>, factory: () => A): A {
  const previous = constructing;
  constructing = context;
  try {
    return factory();
  } finally {
    constructing = previous;
  }
}

/**
 * An actor: state in fields, behaviour in `receive`. Troupe creates it through the
 * factory given to `spawn` and creates a fresh instance on restart, so state never
 * survives a failure by accident.
 *
 * Messages are handled one at a time. When `receive` returns a Promise, the actor
 * takes no other message until it settles; a throw or a rejection goes to the
 * parent's supervisor strategy.
 *
 * @example
 * type CounterMsg = { type: 'add'; n: number } | { type: 'get'; replyTo: ActorRef<number> };
 * class Counter extends Actor<CounterMsg> {
 *   private total = 0;
 *   receive(msg: CounterMsg) {
 *     if (msg.type === 'add') this.total += msg.n;
 *     else msg.replyTo.tell(this.total);
 *   }
 * }
 * const counter = system.spawn(() => new Counter(), { name: 'counter' });
 */
export abstract class Actor<M> {
  /** The runtime as this actor sees it: self, children, watch, timers, stash. */
  protected readonly context: ActorContext<M>;

  constructor() {
    if (constructing === undefined) {
      throw new TypeError('Actor: construct actors only inside the factory given to spawn(), e.g. spawn(() => new MyActor())');
    }
    this.context = constructing as ActorContext<M>;
  }

  /** Handles one message. Return a Promise to keep the mailbox paused until it settles. */
  abstract receive(message: M): void | Promise<void>;

  /** Runs once before the first message (and, by default, after a restart). May be async. */
  preStart(): void | Promise<void> {}

  /** Runs after the actor stopped and its children stopped. Errors are logged. */
  postStop(): void {}

  /** Runs on the failed instance before a restart. By default stops all children and calls `postStop`. */
  preRestart(_error: unknown, _message: M | undefined): void {
    for (const child of this.context.children) this.context.stop(child);
    this.postStop();
  }

  /** Runs on the fresh instance after a restart. By default calls `preStart`. */
  postRestart(_error: unknown): void | Promise<void> {
    return this.preStart();
  }

  /** A watched actor stopped (see `context.watch`). Default: nothing. */
  onTerminated(_ref: ActorRef<never>): void | Promise<void> {}

  /** How this actor supervises its children. @default SupervisorStrategy.default */
  supervisorStrategy(): SupervisorStrategy {
    return SupervisorStrategy.default;
  }
}
