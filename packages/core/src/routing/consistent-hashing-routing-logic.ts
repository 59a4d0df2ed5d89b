import HashRing from 'hashring';
import type { ActorRef } from '../actor-ref.js';
import type { RoutingLogic } from './routing-logic.js';

/** Options of consistent-hashing routing. */
export interface ConsistentHashingOptions<M> {
  /** The key a message is routed by; equal keys go to the same routee while routees are unchanged. */
  readonly hashKey: (message: M) => string;
  /** Virtual nodes per routee on the ring (the `hashring` package's `vnode count`). @default 40 */
  readonly virtualNodes?: number;
}

/**
 * Routes by a key taken from the message, over a consistent hash ring (the `hashring`
 * package) of routee paths: adding or removing a routee moves only ~1/n of the keys.
 */
export class ConsistentHashingRoutingLogic<M> implements RoutingLogic<M> {
  private ring: HashRing | undefined;
  private byPath = new Map<string, ActorRef<M>>();
  private readonly virtualNodes: number;

  constructor(private readonly options: ConsistentHashingOptions<M>) {
    if (typeof options?.hashKey !== 'function') throw new TypeError('consistentHashing: hashKey must be a function (message) => string');
    this.virtualNodes = options.virtualNodes ?? 40;
    if (!(Number.isInteger(this.virtualNodes) && this.virtualNodes > 0)) throw new RangeError(`consistentHashing: virtualNodes must be a positive integer, got ${options.virtualNodes}`);
  }

  routeesChanged(routees: readonly ActorRef<M>[]): void {
    this.byPath = new Map(routees.map((routee) => [routee.path, routee]));
    this.ring = routees.length === 0 ? undefined : new HashRing([...this.byPath.keys()], 'md5', { 'vnode count': this.virtualNodes });
  }

  route(message: M, routees: readonly ActorRef<M>[]): void {
    if (this.ring === undefined) this.routeesChanged(routees);
    const path = (this.ring as HashRing).get(String(this.options.hashKey(message)));
    (this.byPath.get(path) ?? (routees[0] as ActorRef<M>)).tell(message);
  }
}
