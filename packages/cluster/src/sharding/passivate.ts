import type { ActorContext, ActorRef } from '@troupe/core';
import { routeOfEntity } from './entity-route.js';
import type { RegionMessage } from './region-protocol.js';

/**
 * Asks the shard region hosting this entity to passivate it: the region stops it (with
 * the type's `stopMessage`, if any) and holds messages that arrive meanwhile, then
 * starts it again for them. Call it only from inside a sharded entity, e.g.
 * `passivate(this.context)` (the request goes to the actor's parent, which for an
 * entity is its region).
 */
export function passivate(context: ActorContext<never>): void {
  const route = routeOfEntity.get(context.self);
  if (route !== undefined) {
    // From now on this node's EntityRefs go through the region, behind this request, so what they send waits for the next incarnation.
    route.target = undefined;
    route.closing = true;
  }
  (context.parent as unknown as ActorRef<RegionMessage>).tell({ t: 'sh-passivate', entity: context.self as ActorRef<never> });
}
