import type { ActorRef } from '../actor-ref.js';
import type { RoutingLogic } from './routing-logic.js';

/** Sends every message to every routee. */
export class BroadcastRoutingLogic<M> implements RoutingLogic<M> {
  route(message: M, routees: readonly ActorRef<M>[]): void {
    for (const routee of routees) routee.tell(message);
  }
}
