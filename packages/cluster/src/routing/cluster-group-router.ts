import { type RoutingLogic, RoutingLogics } from '@troupe/core';
import type { Cluster } from '../cluster.js';
import type { Member } from '../membership/member.js';
import { ClusterRouterRef } from './cluster-router-ref.js';

/** Options of a cluster group router. */
export interface ClusterGroupOptions<M> {
  /** Path of the routee on every member, relative to `/user` (e.g. `workers/w1` or `/user/workers/w1`). */
  readonly routeePath: string;
  /** Only members with this role get a routee. @default every Up member */
  readonly role?: string;
  /** Where each message goes. @default round-robin (see `ClusterRoutingLogics`) */
  readonly logic?: RoutingLogic<M>;
  /** Name in the router's path. */
  readonly name?: string;
}

/**
 * A group router over an actor that lives at the same path on every Up member (with
 * the role). It does not create routees: each node spawns its own.
 * @example
 * const workers = ClusterGroupRouter.create<Job>(cluster, { routeePath: 'worker', role: 'backend' });
 * workers.tell({ type: 'job', id: 1 });
 */
export class ClusterGroupRouter<M> extends ClusterRouterRef<M> {
  private readonly relative: string;

  private constructor(cluster: Cluster, options: ClusterGroupOptions<M>) {
    super(cluster, options.logic ?? RoutingLogics.roundRobin<M>(), options.role, options.name);
    this.relative = options.routeePath.replace(/^\/?(user\/)?/, '');
  }

  /** A group router on `cluster`; it starts routing as soon as members are Up. */
  static create<M>(cluster: Cluster, options: ClusterGroupOptions<M>): ClusterGroupRouter<M> {
    if (options === null || typeof options !== 'object' || typeof options.routeePath !== 'string' || options.routeePath.replace(/^\/?(user\/)?/, '') === '') {
      throw new TypeError('ClusterGroupRouter: routeePath must be a non-empty path below /user');
    }
    return new ClusterGroupRouter(cluster, options).init();
  }

  protected nodeJoined(member: Member): void {
    this.setNodeRoutees(member.address, [this.cluster.refFor<M>(this.cluster.pathOn(member.address, this.relative))]);
  }
}
