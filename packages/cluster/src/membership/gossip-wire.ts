import { parseAddress } from '../address/node-address.js';
import type { Gossip } from './gossip.js';
import type { Member, MemberStatus } from './member.js';

/** Gossip as sent on the wire: the same plain data, validated on the way in. */
export type WireGossip = Gossip;

const STATUSES: ReadonlySet<string> = new Set<MemberStatus>(['joining', 'up', 'leaving', 'exiting', 'down', 'removed']);
const MAX_MEMBERS = 10_000;

const isAddress = (x: unknown): x is string => typeof x === 'string' && parseAddress(x) !== undefined;
const isCounterRecord = (x: unknown): x is Record<string, number> =>
  x !== null && typeof x === 'object' && !Array.isArray(x) && Object.entries(x).every(([k, v]) => isAddress(k) && Number.isSafeInteger(v) && (v as number) >= 0);

function isMember(x: unknown): x is Member {
  if (x === null || typeof x !== 'object') return false;
  const m = x as Record<string, unknown>;
  return isAddress(m.address) && typeof m.status === 'string' && STATUSES.has(m.status) && Number.isSafeInteger(m.upNumber) && Array.isArray(m.roles) && m.roles.every((r) => typeof r === 'string');
}

/** The gossip in `value` if it is well formed; undefined otherwise (the caller counts it). */
export function gossipFromWire(value: unknown): Gossip | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const g = value as Record<string, unknown>;
  if (!Array.isArray(g.members) || g.members.length > MAX_MEMBERS || !g.members.every(isMember)) return undefined;
  if (!Array.isArray(g.seen) || !g.seen.every(isAddress)) return undefined;
  if (!Array.isArray(g.tombstones) || !g.tombstones.every(isAddress)) return undefined;
  if (!isCounterRecord(g.version)) return undefined;
  const r = g.reachability as Record<string, unknown> | null;
  if (r === null || typeof r !== 'object' || !isCounterRecord(r.versions) || !Array.isArray(r.records)) return undefined;
  if (!r.records.every((x: unknown) => x !== null && typeof x === 'object' && isAddress((x as Record<string, unknown>).observer) && isAddress((x as Record<string, unknown>).subject)))
    return undefined;
  const members = g.members as Member[];
  if (new Set(members.map((m) => m.address)).size !== members.length) return undefined;
  return {
    members: members.map((m) => ({ address: m.address, status: m.status, upNumber: m.upNumber, roles: [...m.roles] })),
    reachability: {
      records: (r.records as { observer: string; subject: string }[]).map((x) => ({ observer: x.observer, subject: x.subject })),
      versions: { ...(r.versions as Record<string, number>) },
    },
    version: { ...(g.version as Record<string, number>) },
    seen: [...(g.seen as string[])],
    tombstones: [...(g.tombstones as string[])],
  };
}
