import type { ActorRef } from '../actor-ref.js';
import type { RoutingLogic } from './routing-logic.js';

/** Sends each message to a routee picked uniformly at random. */
export class RandomRoutingLogic<M> implements RoutingLogic<M> {
  constructor(private readonly random: () => number = Math.random) {}

  route(message: M, routees: readonly ActorRef<M>[]): void {
    (routees[Math.floor(this.random() * routees.length)] as ActorRef<M>).tell(message);
  }
}
