import type { Member } from '../membership/member.js';

/**
 * The nodes that send keep-alives: the `count` oldest Up members (smallest up number,
 * then address, so every node with the same view picks the same ones), limited to
 * those with `role` when given. Pure. Pinging from the oldest few rather than from
 * every node bounds the pings per interval to `count × instances` in a cluster of any
 * size, and more than one sender keeps instances alive while one of them is down.
 */
export function keepAliveSenders(members: readonly Member[], role: string | undefined, count: number): string[] {
  return members
    .filter((m) => m.status === 'up' && (role === undefined || m.roles.includes(role)))
    .sort((a, b) => a.upNumber - b.upNumber || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
    .slice(0, count)
    .map((m) => m.address);
}
