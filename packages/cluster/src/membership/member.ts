/**
 * A member's lifecycle: Joining → Up → Leaving → Exiting → Removed, or Down from any
 * live state (then Removed). Transitions outside `allowedTransitions` are refused.
 */
export type MemberStatus = 'joining' | 'up' | 'leaving' | 'exiting' | 'down' | 'removed';

/** One node of the cluster as the membership state sees it. Immutable. */
export interface Member {
  /** Unique node address (host, port, incarnation). */
  readonly address: string;
  readonly status: MemberStatus;
  /** Order in which members became Up (0 until then); smaller is older. */
  readonly upNumber: number;
  /** Roles the node was started with (cluster routers select members by role). */
  readonly roles: readonly string[];
}

/** Which status may follow which. */
export const allowedTransitions: Readonly<Record<MemberStatus, readonly MemberStatus[]>> = Object.freeze({
  joining: ['up', 'leaving', 'down', 'removed'],
  up: ['leaving', 'down', 'removed'],
  leaving: ['exiting', 'down', 'removed'],
  exiting: ['removed', 'down'],
  down: ['removed'],
  removed: [],
});

/** True when `from → to` is in the table. */
export function isTransitionAllowed(from: MemberStatus, to: MemberStatus): boolean {
  return allowedTransitions[from].includes(to);
}

/** A new member in state Joining. */
export function joiningMember(address: string, roles: readonly string[] = []): Member {
  return { address, status: 'joining', upNumber: 0, roles: [...roles].sort() };
}

/**
 * `member` moved to `status`.
 * @throws RangeError when the transition is not allowed
 */
export function withStatus(member: Member, status: MemberStatus, upNumber = member.upNumber): Member {
  if (member.status === status) return member;
  if (!isTransitionAllowed(member.status, status)) throw new RangeError(`Member ${member.address}: transition ${member.status} → ${status} is not allowed`);
  return { ...member, status, upNumber };
}

// Removed wins over Down wins over Exiting … over Joining when two views disagree.
const PRIORITY: Readonly<Record<MemberStatus, number>> = { removed: 6, down: 5, exiting: 4, leaving: 3, up: 2, joining: 1 };

/** The one of two views of the same member that is further along (used by gossip merge). */
export function highestPriorityOf(a: Member, b: Member): Member {
  const pa = PRIORITY[a.status];
  const pb = PRIORITY[b.status];
  if (pa !== pb) return pa > pb ? a : b;
  // Same status: keep the smaller non-zero up number so every node agrees on age.
  if (a.upNumber === b.upNumber) return a;
  if (a.upNumber === 0) return b;
  if (b.upNumber === 0) return a;
  return a.upNumber < b.upNumber ? a : b;
}
