import type { ActorRef } from '../actor-ref.js';
import type { RoutingLogic } from './routing-logic.js';

/** Sends each message to the next routee in turn. */
export class RoundRobinRoutingLogic<M> implements RoutingLogic<M> {
  private next = 0;

  route(message: M, routees: readonly ActorRef<M>[]): void {
    if (this.next >= routees.length) this.next = 0;
    (routees[this.next++] as ActorRef<M>).tell(message);
  }
}
