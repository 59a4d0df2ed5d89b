import type { ActorRef } from '../actor-ref.js';
import type { ActorSystem } from '../actor-system.js';
import type { DeadLetterReason } from '../dead-letter.js';

/** What a routing logic may use besides the routees. */
export interface RouterContext {
  readonly system: ActorSystem;
  /** Path of the router, for dead letters and temporary refs. */
  readonly path: string;
  deadLetter(message: unknown, reason: DeadLetterReason): void;
}

/**
 * Decides where a routed message goes and sends it there. Called on the sender's
 * turn (the message does not pass through the router's mailbox), with a non-empty,
 * read-only routee list.
 */
export interface RoutingLogic<M> {
  route(message: M, routees: readonly ActorRef<M>[], router: RouterContext): void;
  /** Called whenever the routee list changes (consistent hashing rebuilds its ring here). */
  routeesChanged?(routees: readonly ActorRef<M>[]): void;
}
