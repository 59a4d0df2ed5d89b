import type { ActorRef, AskOptions } from '@troupe/core';
import { type EntityRoute, EntityRoutes } from './entity-route.js';
import type { DeliverEnvelope, RegionMessage } from './region-protocol.js';

/**
 * A ref to the entity `entityId` of one entity type, wherever its shard lives: it
 * sends through this node's shard region, which routes to the hosting node (starting
 * the entity there on its first message). Cheap to create; valid before the entity
 * exists and across rebalances and failover. Delivery is at most once, as `tell` is.
 *
 * While the entity is active on this node (or its shard is on another node) and nothing
 * sent through the region waits for it, `tell` and `ask` go straight to the entity's
 * actor (or to the owning node's region; see `EntityRoute`): the same order and
 * delivery as through this node's region, without its hop.
 */
export class EntityRef<in M> {
  private route: EntityRoute | undefined;

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
    private readonly routes: EntityRoutes = new EntityRoutes(),
  ) {
    this.route = routes.get(entityId);
  }

  /** Sends `message` to the entity, returning at once (at most once; undeliverable messages become dead letters). */
  tell(message: M): void {
    const route = this.route;
    if (route !== undefined && route.viaRegion === 0) {
      const target = route.target;
      if (target !== undefined) {
        route.touch();
        target.tell(message);
        return;
      }
      const remote = route.remote;
      if (remote !== undefined && route.remoteView === this.routes.view) {
        remote.tell(message);
        return;
      }
    }
    this.region.tell(this.viaRegion(message));
  }

  /**
   * Request–response with the entity: `build` gets a temporary ref to put in the
   * message; settles once with the reply, an `AskTimeoutError` or an `AskAbortedError`.
   * @example const n = await carts.entityRefFor(Cart, 'c1').ask<number>((replyTo) => ({ type: 'count', replyTo }));
   */
  ask<R>(build: (replyTo: ActorRef<R>) => M, options?: AskOptions): Promise<R> {
    const route = this.route;
    if (route !== undefined && route.viaRegion === 0) {
      const target = route.target;
      if (target !== undefined) {
        route.touch();
        return target.ask<R>(build as (replyTo: ActorRef<R>) => unknown, options);
      }
      const remote = route.remote;
      if (remote !== undefined && route.remoteView === this.routes.view) return remote.ask<R>(build as (replyTo: ActorRef<R>) => unknown, options);
    }
    return this.region.ask<R>((replyTo) => this.viaRegion(build(replyTo)), options);
  }

  toString(): string {
    return `EntityRef(${this.typeName}/${this.entityId})`;
  }

  /** The envelope of `message` through the region, counted on the entity's route until the region takes it. */
  private viaRegion(message: M): DeliverEnvelope {
    let route = this.route;
    if (route === undefined || route.retired) {
      route = this.routes.acquire(this.entityId, this.shardId);
      this.route = route;
    }
    route.viaRegion++;
    return { t: 'sh-deliver', entityId: this.entityId, shard: this.shardId, message, hops: 0, n: this.numberOfShards, route };
  }
}
