import { NoLiveMemberError } from '../errors.js';
import type { Member, MemberStatus } from '../membership/member.js';
import { parseAddress } from './node-address.js';

const ADDRESS_WITHOUT_INCARNATION = /^troupe:\/\/([A-Za-z0-9][A-Za-z0-9_-]*)@(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const PREFIX = 'troupe://';
/** Statuses whose node still runs: a path resolves to one of these, never to a Down or Removed incarnation. */
const LIVE_PREFERENCE: readonly MemberStatus[] = ['up', 'leaving', 'exiting', 'joining'];

/**
 * `path` with the current incarnation of its node filled in, when its address lacks one
 * (`troupe://sys@host:port/user/x` → `troupe://sys@host:port#k2j4/user/x`); any other path
 * is returned as it is. The incarnation is that of this node when the address is its own,
 * otherwise of the live member at that address (Up preferred, then Leaving, Exiting,
 * Joining: while a restarted node joins, the old incarnation is already Down). Pure.
 * @throws NoLiveMemberError when no live member has the address
 * @throws TypeError when the address part is not `troupe://<system>@<host>:<port>`
 */
export function withCurrentIncarnation(path: string, selfAddress: string, members: readonly Member[]): string {
  if (!path.startsWith(PREFIX)) return path;
  const slash = path.indexOf('/', PREFIX.length);
  const address = slash < 0 ? path : path.slice(0, slash);
  if (address.includes('#')) return path;
  const match = ADDRESS_WITHOUT_INCARNATION.exec(address);
  if (match === null) throw new TypeError(`not an actor path: ${JSON.stringify(path)} (expected troupe://<system>@<host>:<port>[#<incarnation>]/<path>)`);
  const rest = slash < 0 ? '' : path.slice(slash);
  if (sameNode(selfAddress, match)) return `${selfAddress}${rest}`;
  for (const status of LIVE_PREFERENCE) {
    const member = members.find((m) => m.status === status && sameNode(m.address, match));
    if (member !== undefined) return `${member.address}${rest}`;
  }
  throw new NoLiveMemberError(address);
}

function sameNode(address: string, match: RegExpExecArray): boolean {
  const parsed = parseAddress(address);
  return parsed !== undefined && parsed.system === match[1] && parsed.host === match[2] && parsed.port === Number(match[3]);
}
