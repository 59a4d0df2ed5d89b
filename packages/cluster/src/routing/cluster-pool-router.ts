import { type ActorRef, type RoutingLogic, RoutingLogics } from '@troupe/core';
import type { Cluster } from '../cluster.js';
import type { Member } from '../membership/member.js';
import { ClusterRouterRef } from './cluster-router-ref.js';
import { DEPLOYER_NAME, type DeployerCommand, type DeployerReply } from './routee-deployer.js';

/** Options of a cluster pool router. */
export interface ClusterPoolOptions<M> {
  /** Name the routee factory was registered under with `registerPoolRoutee` on the hosting nodes. */
  readonly routee: string;
  /** Routees started on each eligible member. @default 1 */
  readonly routeesPerNode?: number;
  /** Only members with this role host routees. @default every Up member */
  readonly role?: string;
  /** Where each message goes. @default round-robin */
  readonly logic?: RoutingLogic<M>;
  /** Name of the pool (in routee names and the router path). Unique per cluster. */
  readonly name: string;
  /** Deadline of each deployment request. @default 5000 */
  readonly deployTimeoutMs?: number;
}

/**
 * A pool router whose routees it deploys on the members: when a member (with the
 * role) is Up, it asks that node's deployer to start `routeesPerNode` routees from the
 * factory registered there under `routee`; when the member goes, its routees go.
 * `close()` stops every routee it deployed.
 */
export class ClusterPoolRouter<M> extends ClusterRouterRef<M> {
  private constructor(
    cluster: Cluster,
    private readonly options: ClusterPoolOptions<M>,
  ) {
    super(cluster, options.logic ?? RoutingLogics.roundRobin<M>(), options.role, `pool-${options.name}`);
  }

  /** A pool router on `cluster`. */
  static create<M>(cluster: Cluster, options: ClusterPoolOptions<M>): ClusterPoolRouter<M> {
    if (options === null || typeof options !== 'object' || typeof options.routee !== 'string') throw new TypeError('ClusterPoolRouter: routee must be the name of a registered routee factory');
    if (typeof options.name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(options.name)) throw new TypeError('ClusterPoolRouter: name must be letters, digits, - or _');
    const perNode = options.routeesPerNode ?? 1;
    if (!(Number.isInteger(perNode) && perNode > 0 && perNode <= 1000)) throw new RangeError(`ClusterPoolRouter: routeesPerNode must be an integer in 1..1000, got ${options.routeesPerNode}`);
    return new ClusterPoolRouter(cluster, options).init();
  }

  override close(): void {
    for (const node of new Set(this.routees.map((r) => r.path.split('/user/')[0] as string))) this.deployer(node).tell({ type: 'undeploy', pool: this.options.name });
    super.close();
  }

  protected nodeJoined(member: Member): void {
    const node = member.address;
    this.deployer(node)
      .ask<DeployerReply>((replyTo) => ({ type: 'deploy', routee: this.options.routee, pool: this.options.name, count: this.options.routeesPerNode ?? 1, replyTo }), {
        timeoutMs: this.options.deployTimeoutMs ?? 5000,
      })
      .then(
        (reply) => {
          if (reply.error !== undefined) this.cluster.system.log.warn(`ClusterPoolRouter ${this.options.name}: ${reply.error}`);
          if (this.cluster.state.members.some((m) => m.address === node && m.status === 'up')) this.setNodeRoutees(node, reply.routees as ActorRef<M>[]);
        },
        (error: unknown) => this.cluster.system.log.warn(`ClusterPoolRouter ${this.options.name}: deploying on ${node} failed`, { error }),
      );
  }

  private deployer(node: string): ActorRef<DeployerCommand> {
    return this.cluster.refFor<DeployerCommand>(this.cluster.pathOn(node, DEPLOYER_NAME));
  }
}
