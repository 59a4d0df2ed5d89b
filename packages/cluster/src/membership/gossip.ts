import { compareAddresses } from '../address/node-address.js';
import { type Member, highestPriorityOf, withStatus } from './member.js';
import { type Reachability, emptyReachability, mergeReachability, removeNodes, unreachableSubjects } from './reachability.js';
import { type VectorClock, emptyClock, increment, mergeClocks, pruneClock } from './vector-clock.js';

/**
 * The membership state every node gossips: members, who considers whom
 * unreachable, a vector-clock version, which nodes have seen this version, and
 * tombstones of removed nodes (so a stale view never brings them back).
 * Plain immutable data; every function in this file is pure.
 */
export interface Gossip {
  /** Sorted by address. */
  readonly members: readonly Member[];
  readonly reachability: Reachability;
  readonly version: VectorClock;
  /** Addresses of nodes that have seen exactly this version. */
  readonly seen: readonly string[];
  /** Addresses of removed nodes, newest last (bounded). */
  readonly tombstones: readonly string[];
}

/** Most tombstones kept; the oldest are forgotten first. */
export const MAX_TOMBSTONES = 1000;

/** No members, version zero. */
export const emptyGossip: Gossip = Object.freeze({ members: [], reachability: emptyReachability, version: emptyClock, seen: [], tombstones: [] });

function sortMembers(members: Iterable<Member>): Member[] {
  return [...members].sort((a, b) => compareAddresses(a.address, b.address));
}

/** The member at `address`, if any. */
export function memberOf(gossip: Gossip, address: string): Member | undefined {
  return gossip.members.find((m) => m.address === address);
}

/**
 * A change made by `node`: members replaced, version advanced by `node`, seen by
 * `node` only.
 */
export function changed(gossip: Gossip, node: string, update: Partial<Pick<Gossip, 'members' | 'reachability' | 'tombstones'>>): Gossip {
  return {
    members: update.members === undefined ? gossip.members : sortMembers(update.members),
    reachability: update.reachability ?? gossip.reachability,
    tombstones: update.tombstones ?? gossip.tombstones,
    version: increment(gossip.version, node),
    seen: [node],
  };
}

/** `gossip` with `member` added or replaced, as a change by `node`. */
export function withMember(gossip: Gossip, node: string, member: Member): Gossip {
  return changed(gossip, node, { members: [...gossip.members.filter((m) => m.address !== member.address), member] });
}

/** `gossip` marked as seen by `node` (same version). */
export function seenBy(gossip: Gossip, node: string): Gossip {
  return gossip.seen.includes(node) ? gossip : { ...gossip, seen: [...gossip.seen, node] };
}

/**
 * Merges two concurrent views: union of members (the further-along status wins),
 * minus tombstoned nodes; each observer's newest reachability; the pointwise
 * maximum of versions. Nobody has seen the result yet (`seen` is empty).
 */
export function mergeGossip(a: Gossip, b: Gossip): Gossip {
  const tombstones = [...new Set([...a.tombstones, ...b.tombstones])].slice(-MAX_TOMBSTONES);
  const dead = new Set(tombstones);
  const byAddress = new Map<string, Member>();
  for (const member of [...a.members, ...b.members]) {
    if (dead.has(member.address)) continue;
    const known = byAddress.get(member.address);
    byAddress.set(member.address, known === undefined ? member : highestPriorityOf(known, member));
  }
  return {
    members: sortMembers(byAddress.values()),
    reachability: removeNodes(mergeReachability(a.reachability, b.reachability), dead),
    version: pruneClock(mergeClocks(a.version, b.version), dead),
    seen: [],
    tombstones,
  };
}

/** Observers whose reports no longer count (they are Down or gone). */
function downedObservers(gossip: Gossip): Set<string> {
  return new Set(gossip.members.filter((m) => m.status === 'down' || m.status === 'removed').map((m) => m.address));
}

/** Members some live observer considers unreachable. */
export function unreachableMembers(gossip: Gossip): Set<string> {
  const subjects = unreachableSubjects(gossip.reachability, downedObservers(gossip));
  const live = new Set(gossip.members.map((m) => m.address));
  for (const subject of subjects) if (!live.has(subject)) subjects.delete(subject);
  return subjects;
}

/**
 * True when `self` may let the leader act: no unreachable member other than Down or
 * Exiting ones, and every Up or Leaving member has seen this version.
 */
export function isConverged(gossip: Gossip, self: string): boolean {
  const unreachable = unreachableMembers(gossip);
  for (const address of unreachable) {
    if (address === self) continue;
    const status = memberOf(gossip, address)?.status;
    if (status !== 'down' && status !== 'exiting') return false;
  }
  const seen = new Set(gossip.seen);
  return gossip.members.every((m) => !(m.status === 'up' || m.status === 'leaving') || seen.has(m.address));
}

/**
 * The leader as `self` sees it: the lowest address among reachable Up or Leaving
 * members (self counts as reachable); if none is Up yet, the lowest reachable member.
 */
export function leaderOf(gossip: Gossip, self: string): string | undefined {
  const unreachable = unreachableMembers(gossip);
  const candidates = gossip.members.filter((m) => m.status !== 'down' && m.status !== 'removed' && (m.address === self || !unreachable.has(m.address)));
  return (candidates.find((m) => m.status === 'up' || m.status === 'leaving') ?? candidates[0])?.address;
}

/** What the leader did in one round. */
export interface LeaderActionsResult {
  readonly gossip: Gossip;
  /** Addresses moved to Removed (and tombstoned) in this round. */
  readonly removed: readonly string[];
}

/**
 * One round of leader duties on a converged state: Joining → Up, Exiting and Down →
 * Removed. Leaving → Exiting is the leaving member's own step (`ClusterDaemon.exit`),
 * taken once its exit tasks (shard handoffs) are done. Returns the gossip unchanged
 * when there is nothing to do.
 */
export function leaderActions(gossip: Gossip, leader: string): LeaderActionsResult {
  let upNumber = Math.max(0, ...gossip.members.map((m) => m.upNumber));
  const members: Member[] = [];
  const removed: string[] = [];
  let dirty = false;
  for (const member of gossip.members) {
    switch (member.status) {
      case 'joining':
        members.push(withStatus(member, 'up', ++upNumber));
        dirty = true;
        break;
      case 'exiting':
      case 'down':
        removed.push(member.address);
        dirty = true;
        break;
      default:
        members.push(member);
    }
  }
  if (!dirty) return { gossip, removed };
  const gone = new Set(removed);
  const next = changed({ ...gossip, version: pruneClock(gossip.version, gone) }, leader, {
    members,
    reachability: removeNodes(gossip.reachability, gone),
    tombstones: [...gossip.tombstones, ...removed].slice(-MAX_TOMBSTONES),
  });
  return { gossip: next, removed };
}
