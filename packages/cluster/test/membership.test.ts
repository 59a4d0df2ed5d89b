import { describe, expect, it } from 'vitest';
import { diffEvents } from '../src/membership/cluster-events.js';
import { type Gossip, changed, emptyGossip, isConverged, leaderActions, leaderOf, memberOf, mergeGossip, seenBy, withMember } from '../src/membership/gossip.js';
import { type Member, allowedTransitions, highestPriorityOf, isTransitionAllowed, joiningMember, withStatus } from '../src/membership/member.js';
import { emptyReachability, markReachable, markUnreachable, mergeReachability, unreachableSubjects } from '../src/membership/reachability.js';
import { compareClocks, increment, mergeClocks, pruneClock } from '../src/membership/vector-clock.js';

const A = 'troupe://t@127.0.0.1:1001#a';
const B = 'troupe://t@127.0.0.1:1002#b';
const C = 'troupe://t@127.0.0.1:1003#c';

const up = (address: string, upNumber = 1): Member => ({ address, status: 'up', upNumber, roles: [] });

function cluster(...members: Member[]): Gossip {
  let g = emptyGossip;
  for (const m of members) g = withMember(g, A, m);
  return g;
}

describe('VectorClock', () => {
  it('orders a clock before its increment and reports concurrent edits', () => {
    const base = increment({}, A);
    const ab = increment(base, B);
    const ac = increment(base, C);
    expect(compareClocks(base, ab)).toBe('before');
    expect(compareClocks(ab, base)).toBe('after');
    expect(compareClocks(ab, ac)).toBe('concurrent');
    expect(compareClocks(ab, { ...ab })).toBe('same');
  });

  it('merges to a clock after both sides, and prunes removed nodes', () => {
    const merged = mergeClocks(increment({}, A), increment(increment({}, B), B));
    expect(merged).toEqual({ [A]: 1, [B]: 2 });
    expect(pruneClock(merged, [B])).toEqual({ [A]: 1 });
  });
});

describe('Member', () => {
  it('allows Joining → Up → Leaving → Exiting → Removed and Down from live states', () => {
    let m = joiningMember(A);
    for (const status of ['up', 'leaving', 'exiting', 'removed'] as const) m = withStatus(m, status);
    expect(m.status).toBe('removed');
    for (const from of ['joining', 'up', 'leaving', 'exiting'] as const) expect(isTransitionAllowed(from, 'down')).toBe(true);
  });

  it('refuses a transition outside the table with a RangeError naming it', () => {
    expect(() => withStatus(withStatus(joiningMember(A), 'down'), 'up')).toThrow(/down → up is not allowed/);
    expect(allowedTransitions.removed).toEqual([]);
    expect(isTransitionAllowed('exiting', 'up')).toBe(false);
  });

  it('picks the further-along status when two views of a member disagree', () => {
    expect(highestPriorityOf(up(A), { ...up(A), status: 'down' }).status).toBe('down');
    expect(highestPriorityOf(joiningMember(A), up(A)).status).toBe('up');
    expect(highestPriorityOf(up(A, 3), up(A, 2)).upNumber).toBe(2);
  });
});

describe('Reachability', () => {
  it('keeps each observer newest view when merging', () => {
    const r1 = markUnreachable(emptyReachability, A, B);
    const r2 = markReachable(r1, A, B);
    expect(unreachableSubjects(mergeReachability(r1, r2)).has(B)).toBe(false);
    expect(unreachableSubjects(mergeReachability(r2, r1)).has(B)).toBe(false);
    const r3 = markUnreachable(emptyReachability, C, B);
    expect([...unreachableSubjects(mergeReachability(r2, r3))]).toEqual([B]);
  });
});

describe('mergeGossip', () => {
  it('is commutative and idempotent on members, reachability and version', () => {
    const base = cluster(up(A), up(B, 2));
    const left = withMember(base, A, withStatus(up(B, 2), 'leaving'));
    const right = changed(withMember(base, B, joiningMember(C)), B, { reachability: markUnreachable(base.reachability, B, A) });
    const lr = mergeGossip(left, right);
    const rl = mergeGossip(right, left);
    expect(lr.members).toEqual(rl.members);
    expect(lr.version).toEqual(rl.version);
    expect(unreachableSubjects(lr.reachability)).toEqual(unreachableSubjects(rl.reachability));
    expect(mergeGossip(lr, lr).members).toEqual(lr.members);
    expect(memberOf(lr, B)?.status).toBe('leaving');
    expect(memberOf(lr, C)?.status).toBe('joining');
    expect(compareClocks(left.version, lr.version)).toBe('before');
    expect(compareClocks(right.version, lr.version)).toBe('before');
    expect(lr.seen).toEqual([]);
  });

  it('never brings back a tombstoned member', () => {
    const base = cluster(up(A), up(B, 2));
    const removed = leaderActions(withMember(base, A, withStatus(up(B, 2), 'down')), A).gossip;
    expect(memberOf(removed, B)).toBeUndefined();
    expect(memberOf(mergeGossip(base, removed), B)).toBeUndefined();
    expect(mergeGossip(removed, base).tombstones).toContain(B);
  });
});

describe('convergence and leader', () => {
  it('converges only when every Up member has seen the version', () => {
    const g = cluster(up(A), up(B, 2));
    expect(isConverged(g, A)).toBe(false);
    expect(isConverged(seenBy(g, B), A)).toBe(true);
  });

  it('does not converge while an Up member is unreachable, but does once it is Down', () => {
    let g = seenBy(cluster(up(A), up(B, 2), up(C, 3)), B);
    g = seenBy(seenBy(changed(g, A, { reachability: markUnreachable(g.reachability, A, C) }), B), C);
    expect(isConverged(g, A)).toBe(false);
    g = seenBy(withMember(g, A, withStatus(up(C, 3), 'down')), B);
    expect(isConverged(g, A)).toBe(true);
  });

  it('picks the lowest reachable Up address as leader, skipping unreachable ones', () => {
    const g = cluster(up(B, 1), up(A, 2), up(C, 3));
    expect(leaderOf(g, C)).toBe(A);
    const split = changed(g, C, { reachability: markUnreachable(g.reachability, C, A) });
    expect(leaderOf(split, C)).toBe(B);
    expect(leaderOf(cluster(joiningMember(B), joiningMember(C)), C)).toBe(B);
  });

  it('leader actions move Joining → Up with increasing up numbers, Exiting and Down → Removed, and leave Leaving to the member itself', () => {
    const g = cluster(up(A, 1), joiningMember(B), { ...up(C, 2), status: 'leaving' });
    const first = leaderActions(g, A).gossip;
    expect(memberOf(first, B)).toMatchObject({ status: 'up', upNumber: 3 });
    // Only the leaving node knows when its handoffs are over: it moves itself to Exiting.
    expect(memberOf(first, C)?.status).toBe('leaving');
    expect(leaderActions(first, A).gossip).toBe(first);
    const exiting = withMember(first, C, withStatus(memberOf(first, C) as Member, 'exiting'));
    const second = leaderActions(exiting, A);
    expect(second.removed).toEqual([C]);
    expect(memberOf(second.gossip, C)).toBeUndefined();
    expect(second.gossip.tombstones).toEqual([C]);
    expect(second.gossip.version[C]).toBeUndefined();
    expect(leaderActions(second.gossip, A).gossip).toBe(second.gossip);
  });
});

describe('diffEvents', () => {
  it('reports up, unreachable, reachable, removed and leader changes between two states', () => {
    const before = cluster(up(A), joiningMember(B));
    const after = changed(withMember(before, A, withStatus(joiningMember(B), 'up', 2)), A, { reachability: markUnreachable(emptyReachability, A, B) });
    expect(diffEvents(before, after, A).map((e) => e.type)).toEqual(['member-up', 'unreachable-member']);
    const healed = changed(after, A, { reachability: markReachable(after.reachability, A, B) });
    expect(diffEvents(after, healed, A).map((e) => e.type)).toEqual(['reachable-member']);
    const gone = leaderActions(withMember(healed, A, withStatus(up(A), 'down')), B).gossip;
    expect(diffEvents(healed, gone, B).map((e) => e.type)).toEqual(['member-removed', 'leader-changed']);
  });
});
