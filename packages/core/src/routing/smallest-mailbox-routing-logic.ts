import type { ActorRef } from '../actor-ref.js';
import { LocalActorRef } from '../internal/local-actor-ref.js';
import type { RoutingLogic } from './routing-logic.js';

/**
 * Sends each message to the routee with the fewest queued messages, preferring an
 * idle one; remote routees (whose queues are unknown) are chosen only when every
 * local routee is busy. Scans all routees per message, as Akka's does.
 */
export class SmallestMailboxRoutingLogic<M> implements RoutingLogic<M> {
  route(message: M, routees: readonly ActorRef<M>[]): void {
    let best: ActorRef<M> = routees[0] as ActorRef<M>;
    let bestScore = Infinity;
    for (const routee of routees) {
      let score: number;
      if (routee instanceof LocalActorRef) {
        const cell = routee.cell;
        if (cell.isTerminated) continue;
        score = cell.mailboxSize * 2 + (cell.isBusy ? 1 : 0);
        if (score === 0) {
          best = routee;
          break;
        }
      } else {
        score = Number.MAX_SAFE_INTEGER;
      }
      if (score < bestScore) {
        bestScore = score;
        best = routee;
      }
    }
    best.tell(message);
  }
}
