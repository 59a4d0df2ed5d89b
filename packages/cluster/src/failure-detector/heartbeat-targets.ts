import { compareAddresses } from '../address/node-address.js';

/**
 * The peers `self` sends heartbeats to: the next `count` reachable members after self
 * on the ring of addresses, plus any unreachable member met on the way (so a
 * neighbour that went silent keeps being watched and can become reachable again).
 * Each node watches a bounded number of peers, so heartbeat traffic grows with N, not N².
 */
export function heartbeatTargets(self: string, members: readonly string[], unreachable: ReadonlySet<string>, count: number): string[] {
  const ring = [...new Set([...members, self])].sort(compareAddresses);
  const start = ring.indexOf(self);
  const targets: string[] = [];
  let reachable = 0;
  for (let i = 1; i < ring.length && reachable < count; i++) {
    const address = ring[(start + i) % ring.length] as string;
    targets.push(address);
    if (!unreachable.has(address)) reachable++;
  }
  return targets;
}
