import type { ActorRef, AskOptions } from '@troupe/core';
import type { RegionMessage } from './region-protocol.js';

/**
 * A ref to the entity `entityId` of one entity type, wherever its shard lives: it
 * sends through this node's shard region, which routes to the hosting node (starting
 * the entity there on its first message). Cheap to create; valid before the entity
 * exists and across rebalances and failover. Delivery is at most once, as `tell` is.
 */
export class EntityRef<in M> {
  /** @internal built by `ClusterSharding.entityRefFor` */
  constructor(
    /** The entity type's name. */
    readonly typeName: string,
    /** The entity's id. */
    readonly entityId: string,
    /** The entity's shard. */
    readonly shardId: number,
    private readonly region: ActorRef<RegionMessage>,
    private readonly numberOfShards: number,
  ) {}

  /** Sends `message` to the entity, returning at once (at most once; undeliverable messages become dead letters). */
  tell(message: M): void {
    this.region.tell({ t: 'sh-deliver', entityId: this.entityId, shard: this.shardId, message, hops: 0, n: this.numberOfShards });
  }

  /**
   * Request–response with the entity: `build` gets a temporary ref to put in the
   * message; settles once with the reply, an `AskTimeoutError` or an `AskAbortedError`.
   * @example const n = await carts.entityRefFor(Cart, 'c1').ask<number>((replyTo) => ({ type: 'count', replyTo }));
   */
  ask<R>(build: (replyTo: ActorRef<R>) => M, options?: AskOptions): Promise<R> {
    return this.region.ask<R>((replyTo) => ({ t: 'sh-deliver', entityId: this.entityId, shard: this.shardId, message: build(replyTo), hops: 0, n: this.numberOfShards }), options);
  }

  toString(): string {
    return `EntityRef(${this.typeName}/${this.entityId})`;
  }
}
