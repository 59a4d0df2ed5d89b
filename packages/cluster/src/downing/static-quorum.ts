import type { Gossip } from '../membership/gossip.js';
import { type DowningDecision, type DowningStrategy, sidesOf } from './downing-strategy.js';

/**
 * Keep a side only if it has at least `quorumSize` Up members. Set the quorum to
 * more than half of the planned cluster size; both sides may go down if neither reaches it.
 */
export class StaticQuorum implements DowningStrategy {
  readonly name = 'static-quorum';

  constructor(readonly quorumSize: number) {
    if (!(Number.isInteger(quorumSize) && quorumSize > 0)) throw new RangeError(`StaticQuorum: quorumSize must be a positive integer, got ${quorumSize}`);
  }

  decide(gossip: Gossip, self: string): DowningDecision | undefined {
    const sides = sidesOf(gossip, self);
    if (sides === undefined) return undefined;
    return sides.reachableVoters.length >= this.quorumSize ? { down: sides.unreachableAll, downsOwnSide: false } : { down: sides.reachableAll, downsOwnSide: true };
  }
}
