import { compareAddresses } from '../address/node-address.js';
import type { Gossip } from '../membership/gossip.js';
import { type DowningDecision, type DowningStrategy, sidesOf } from './downing-strategy.js';

/**
 * Keep the side with more Up members and down the other; on a tie keep the side
 * holding the lowest address. The default strategy.
 */
export class KeepMajority implements DowningStrategy {
  readonly name = 'keep-majority';

  decide(gossip: Gossip, self: string): DowningDecision | undefined {
    const sides = sidesOf(gossip, self);
    if (sides === undefined) return undefined;
    const mine = sides.reachableVoters.length;
    const theirs = sides.unreachableVoters.length;
    let keepMine = mine > theirs;
    if (mine === theirs) {
      const lowest = [...sides.reachableVoters, ...sides.unreachableVoters].sort(compareAddresses)[0];
      keepMine = lowest !== undefined && sides.reachableVoters.includes(lowest);
    }
    return keepMine ? { down: sides.unreachableAll, downsOwnSide: false } : { down: sides.reachableAll, downsOwnSide: true };
  }
}
