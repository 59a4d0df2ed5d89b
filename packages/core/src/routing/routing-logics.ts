import { BroadcastRoutingLogic } from './broadcast-routing-logic.js';
import { type ConsistentHashingOptions, ConsistentHashingRoutingLogic } from './consistent-hashing-routing-logic.js';
import { RandomRoutingLogic } from './random-routing-logic.js';
import { RoundRobinRoutingLogic } from './round-robin-routing-logic.js';
import { type ScatterGatherOptions, ScatterGatherFirstCompletedRoutingLogic } from './scatter-gather-first-completed-routing-logic.js';
import { SmallestMailboxRoutingLogic } from './smallest-mailbox-routing-logic.js';

/** Factories of the built-in routing logics; each call makes a fresh instance for one router. */
export const RoutingLogics = {
  /** Each message to the next routee in turn. */
  roundRobin: <M>() => new RoundRobinRoutingLogic<M>(),
  /** Each message to a random routee. */
  random: <M>(random?: () => number) => new RandomRoutingLogic<M>(random),
  /** Each message to the routee with the fewest queued messages (local routees first). */
  smallestMailbox: <M>() => new SmallestMailboxRoutingLogic<M>(),
  /** Every message to every routee. */
  broadcast: <M>() => new BroadcastRoutingLogic<M>(),
  /** By a key from the message, over a consistent hash ring of routees. */
  consistentHashing: <M>(options: ConsistentHashingOptions<M>) => new ConsistentHashingRoutingLogic<M>(options),
  /** To every routee; the first reply wins. */
  scatterGatherFirstCompleted: <M, R = unknown>(options?: ScatterGatherOptions<M, R>) => new ScatterGatherFirstCompletedRoutingLogic<M, R>(options),
};
