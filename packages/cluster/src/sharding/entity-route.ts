import type { ActorRef } from '@troupe/core';

/**
 * How `EntityRef`s on this node reach one entity: through the region (always right),
 * or straight to the entity's actor while the region says that is the same thing.
 * One route per entity id and region, shared by every `EntityRef` of the id on this
 * node, so per-sender order holds whichever ref a sender uses.
 *
 * The direct way (`target`) is open only while the entity is active here, in an
 * active shard, not passivating or handing off, and no message sent through the
 * region by an `EntityRef` of this node waits in the region's mailbox (`viaRegion`):
 * a direct tell then lands in the entity's mailbox behind every earlier message. The
 * region opens it when it delivers to the entity and closes it (synchronously, on the
 * one JS thread) before it holds a message for it, stops it, or hands its shard off.
 */
export class EntityRoute {
  /** The entity's actor, while telling it directly keeps order; otherwise undefined. */
  target: ActorRef<unknown> | undefined = undefined;
  /**
   * The entity's path on the node owning its shard (`entityInletPath`, received by that
   * region's inlet), while this node's view (`EntityRoutes.view`) places it there:
   * `EntityRef`s send messages to it as they are, without this region's hop.
   */
  remote: ActorRef<unknown> | undefined = undefined;
  /** The view `remote` belongs to (stale once the region's view has moved on). */
  remoteView = -1;
  /** Messages told through the region by `EntityRef`s and not yet taken by it. */
  viaRegion = 0;
  /** The entity is running on this node (started by the region, not yet terminated): the route is kept for it. */
  active = false;
  /** Set by `passivate()` inside the entity: the region must not open the direct way again before the entity has stopped. */
  closing = false;
  /** Received a direct message since the region last read the flag (the region times activity per tick). */
  touched = false;
  /** No longer this id's route in the registry; `EntityRef`s holding it look it up again. */
  retired = false;
  /** Queued to be retired at the region's next tick if it still serves nothing. */
  idleQueued = false;

  constructor(
    /** The entity id. */
    readonly entityId: string,
    /** The entity's shard. */
    readonly shard: number,
    private readonly routes: EntityRoutes,
  ) {}

  /** Never on the wire: a region builds forwarded envelopes without it, and this keeps a stray one out of a frame. */
  toJSON(): undefined {
    return undefined;
  }

  /** Notes a direct message for the region's activity timing (once until the region reads it). */
  touch(): void {
    if (!this.touched) {
      this.touched = true;
      this.routes.touched.push(this);
    }
  }
}

/**
 * The routes of one entity type's region on this node, by entity id. A route lives while
 * its entity is active here or messages for it wait in the region's mailbox, and until the
 * region's next tick after that (retiring at once would make a new route per message to an
 * entity on another node), so the registry holds no more than the active entities and
 * those addressed within a tick.
 */
export class EntityRoutes {
  private readonly byId = new Map<string, EntityRoute>();
  /** Routes told directly since the region last read them (each once; see `EntityRoute.touched`). */
  touched: EntityRoute[] = [];
  private idle: EntityRoute[] = [];
  /** Bumped on every membership change (see `viewChanged`): every `remote` of an older view is stale. */
  view = 0;

  /**
   * The membership changed (or is about to reach the region): `EntityRef`s stop sending
   * to other nodes' regions directly at once, so nothing told from now on goes to a node
   * the new view no longer routes to; the region opens them again once it has routed
   * under the new view. Called synchronously by the cluster event that the region hears
   * of through its mailbox, and by the region itself.
   */
  viewChanged(): number {
    return ++this.view;
  }

  /** The current route of `entityId`, if any (looked up when an `EntityRef` is made, never per message). */
  get(entityId: string): EntityRoute | undefined {
    return this.byId.get(entityId);
  }

  /** The current route of `entityId`, made if there is none. */
  acquire(entityId: string, shard: number): EntityRoute {
    let route = this.byId.get(entityId);
    if (route === undefined) {
      route = new EntityRoute(entityId, shard, this);
      this.byId.set(entityId, route);
    }
    return route;
  }

  /** Queues `route` for retirement at the next tick when it serves nothing now (no entity here, nothing in flight). */
  noteIdle(route: EntityRoute): void {
    if (route.active || route.viaRegion !== 0 || route.retired || route.idleQueued) return;
    route.idleQueued = true;
    this.idle.push(route);
  }

  /** Retires the queued routes that still serve nothing (called on the region's tick). */
  retireIdle(): void {
    if (this.idle.length === 0) return;
    const idle = this.idle;
    this.idle = [];
    for (const route of idle) {
      route.idleQueued = false;
      if (route.active || route.viaRegion !== 0 || route.retired) continue;
      this.retire(route);
      if (this.byId.get(route.entityId) === route) this.byId.delete(route.entityId);
    }
  }

  /** Routes in the registry. */
  get size(): number {
    return this.byId.size;
  }

  /** Closes and retires every route (the region stopped). */
  clear(): void {
    for (const route of this.byId.values()) this.retire(route);
    this.byId.clear();
    this.touched = [];
    this.idle = [];
  }

  /** Takes the routes touched since the last call. */
  takeTouched(): EntityRoute[] {
    const touched = this.touched;
    if (touched.length > 0) this.touched = [];
    return touched;
  }

  private retire(route: EntityRoute): void {
    route.retired = true;
    route.target = undefined;
    route.remote = undefined;
  }
}

/** The route of each entity actor started by a region (so `passivate` can close it from inside the entity). */
export const routeOfEntity = new WeakMap<ActorRef<never>, EntityRoute>();
