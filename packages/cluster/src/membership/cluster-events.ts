import { type Gossip, leaderOf, memberOf, unreachableMembers } from './gossip.js';
import type { Member } from './member.js';

/** A snapshot of the cluster as this node sees it. */
export interface CurrentClusterState {
  readonly type: 'current-cluster-state';
  /** Members not yet removed, sorted by address. */
  readonly members: readonly Member[];
  /** Members some live observer considers unreachable. */
  readonly unreachable: readonly Member[];
  readonly leader: string | undefined;
}

/** A change of membership, reachability or leadership. */
export type MemberEvent =
  | { readonly type: 'member-joined'; readonly member: Member }
  | { readonly type: 'member-up'; readonly member: Member }
  | { readonly type: 'member-left'; readonly member: Member }
  | { readonly type: 'member-exited'; readonly member: Member }
  | { readonly type: 'member-downed'; readonly member: Member }
  | { readonly type: 'member-removed'; readonly member: Member; readonly previousStatus: Member['status'] }
  | { readonly type: 'unreachable-member'; readonly member: Member }
  | { readonly type: 'reachable-member'; readonly member: Member }
  | { readonly type: 'leader-changed'; readonly leader: string | undefined };

/** What a subscriber receives: the snapshot first (when asked for), then events. */
export type ClusterEvent = CurrentClusterState | MemberEvent;

/** The snapshot of `gossip` from `self`'s point of view. */
export function currentState(gossip: Gossip, self: string): CurrentClusterState {
  const unreachable = unreachableMembers(gossip);
  return {
    type: 'current-cluster-state',
    members: gossip.members,
    unreachable: gossip.members.filter((m) => unreachable.has(m.address)),
    leader: leaderOf(gossip, self),
  };
}

const STATUS_EVENT = { joining: 'member-joined', up: 'member-up', leaving: 'member-left', exiting: 'member-exited', down: 'member-downed' } as const;

/** The events that turn `before` into `after`, as `self` sees it; pure. */
export function diffEvents(before: Gossip, after: Gossip, self: string): MemberEvent[] {
  const events: MemberEvent[] = [];
  for (const member of after.members) {
    const old = memberOf(before, member.address);
    if (old?.status === member.status || member.status === 'removed') continue;
    events.push({ type: STATUS_EVENT[member.status], member });
  }
  for (const old of before.members) {
    if (memberOf(after, old.address) === undefined) events.push({ type: 'member-removed', member: { ...old, status: 'removed' }, previousStatus: old.status });
  }
  const wasUnreachable = unreachableMembers(before);
  const isUnreachable = unreachableMembers(after);
  for (const address of isUnreachable) {
    const member = memberOf(after, address);
    if (!wasUnreachable.has(address) && member !== undefined) events.push({ type: 'unreachable-member', member });
  }
  for (const address of wasUnreachable) {
    const member = memberOf(after, address);
    if (!isUnreachable.has(address) && member !== undefined && member.status !== 'down') events.push({ type: 'reachable-member', member });
  }
  const leader = leaderOf(after, self);
  if (leader !== leaderOf(before, self)) events.push({ type: 'leader-changed', leader });
  return events;
}
