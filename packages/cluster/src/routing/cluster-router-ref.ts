import { ActorRef, type ActorSystem, type DeadLetterReason, type RouterContext, type RoutingLogic } from '@troupe/core';
import { type SystemMessage, publishDeadLetter, sendSystemMessage } from '@troupe/core/spi';
import type { Cluster } from '../cluster.js';
import type { Member } from '../membership/member.js';

let routerCounter = 0;

/**
 * The ref of a cluster-aware router: `tell` routes on the sender's turn to a routee
 * on some member (local or remote). Routees follow membership: members that become
 * Up (with the role) get routees, removed or downed ones lose theirs. With no routee,
 * messages go to dead letters (`no-routees`).
 */
export abstract class ClusterRouterRef<M> extends ActorRef<M> implements RouterContext {
  readonly path: string;
  private routeeList: readonly ActorRef<M>[] = [];
  private readonly byNode = new Map<string, readonly ActorRef<M>[]>();
  private readonly unsubscribe: () => void;
  private closed = false;

  protected constructor(
    protected readonly cluster: Cluster,
    protected readonly logic: RoutingLogic<M>,
    protected readonly role: string | undefined,
    name: string | undefined,
  ) {
    super();
    this.path = `${cluster.selfAddress}/system/cluster-router-${name ?? routerCounter++}`;
    this.unsubscribe = cluster.subscribe(() => this.membershipChanged(), { initialState: false });
  }

  /** Starts following membership (call once from the subclass's factory). */
  protected init(): this {
    this.membershipChanged();
    return this;
  }

  get system(): ActorSystem {
    return this.cluster.system;
  }

  /** The current routees, across all members. */
  get routees(): readonly ActorRef<M>[] {
    return this.routeeList;
  }

  tell(message: M): void {
    if (this.closed) this.deadLetter(message, 'recipient-stopped');
    else if (this.routeeList.length === 0) this.deadLetter(message, 'no-routees');
    else this.logic.route(message, this.routeeList, this);
  }

  [sendSystemMessage](message: SystemMessage): void {
    if (message.kind === 'stop') this.close();
    else if (message.kind === 'watch' && this.closed) message.watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: this as ActorRef<never> });
  }

  deadLetter(message: unknown, reason: DeadLetterReason): void {
    publishDeadLetter(this.cluster.system, message, this.path, reason);
  }

  /** Stops following membership; later messages go to dead letters. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const node of [...this.byNode.keys()]) this.nodeLeft(node);
    this.setRoutees(new Map());
  }

  /** Routees to use on `member` (may arrive later through `setNodeRoutees`). */
  protected abstract nodeJoined(member: Member): void;

  /** `node` is no longer an eligible member. */
  protected nodeLeft(_node: string): void {}

  /** Sets the routees living on `node`. */
  protected setNodeRoutees(node: string, routees: readonly ActorRef<M>[]): void {
    if (this.closed) return;
    const next = new Map(this.byNode);
    if (routees.length === 0) next.delete(node);
    else next.set(node, routees);
    this.setRoutees(next);
  }

  private setRoutees(next: Map<string, readonly ActorRef<M>[]>): void {
    this.byNode.clear();
    for (const [node, routees] of [...next].sort(([a], [b]) => (a < b ? -1 : 1))) this.byNode.set(node, routees);
    this.routeeList = [...this.byNode.values()].flat();
    this.logic.routeesChanged?.(this.routeeList);
  }

  private membershipChanged(): void {
    if (this.closed) return;
    const eligible = new Map(this.cluster.state.members.filter((m) => m.status === 'up' && (this.role === undefined || m.roles.includes(this.role))).map((m) => [m.address, m]));
    for (const node of [...this.byNode.keys()]) {
      if (!eligible.has(node)) {
        this.nodeLeft(node);
        this.setNodeRoutees(node, []);
      }
    }
    for (const member of eligible.values()) if (!this.known.has(member.address)) this.nodeJoined(member);
    this.known = new Set(eligible.keys());
  }

  private known = new Set<string>();
}
