import { compareAddresses } from '../address/node-address.js';
import type { Member } from '../membership/member.js';

/**
 * Negative when `a` is older than `b`: the smaller up number (the order in which the
 * leader moved members to Up, gossiped with the membership so every node agrees),
 * the lower address on a tie. Members not yet Up (up number 0) are younger than all.
 */
export function compareAge(a: Member, b: Member): number {
  const ua = a.upNumber === 0 ? Number.MAX_SAFE_INTEGER : a.upNumber;
  const ub = b.upNumber === 0 ? Number.MAX_SAFE_INTEGER : b.upNumber;
  return ua !== ub ? ua - ub : compareAddresses(a.address, b.address);
}

/** True when `member` may host something limited to `role` (any member when there is no role). */
export function hasRole(member: Member, role: string | undefined): boolean {
  return role === undefined || member.roles.includes(role);
}

/** The oldest Up member with `role`, or undefined when there is none. Reachability does not matter: an unreachable oldest stays the oldest until it is downed. */
export function oldestUpMember(members: readonly Member[], role: string | undefined): Member | undefined {
  let oldest: Member | undefined;
  for (const member of members) {
    if (member.status !== 'up' || !hasRole(member, role)) continue;
    if (oldest === undefined || compareAge(member, oldest) < 0) oldest = member;
  }
  return oldest;
}
