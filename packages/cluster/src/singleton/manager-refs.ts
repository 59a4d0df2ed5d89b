import type { ActorRef } from '@troupe/core';
import type { Member } from '../membership/member.js';
import type { ManagerMessage } from './singleton-protocol.js';

/**
 * The refs to one singleton's manager on each node, made once per node and dropped when
 * the node leaves the view: a long-lived cluster sees many members come and go, and a
 * ref to a node that is gone is only ever needed again if it is asked for (then it is made again).
 */
export class ManagerRefs {
  private readonly refs = new Map<string, ActorRef<ManagerMessage>>();

  constructor(private readonly make: (node: string) => ActorRef<ManagerMessage>) {}

  /** The manager on `node`. */
  get(node: string): ActorRef<ManagerMessage> {
    let ref = this.refs.get(node);
    if (ref === undefined) {
      ref = this.make(node);
      this.refs.set(node, ref);
    }
    return ref;
  }

  /** Drops the refs of nodes not in `members` (any status but removed keeps a node's ref). */
  retain(members: readonly Member[]): void {
    if (this.refs.size === 0) return;
    const live = new Set<string>();
    for (const member of members) if (member.status !== 'removed') live.add(member.address);
    for (const node of this.refs.keys()) if (!live.has(node)) this.refs.delete(node);
  }

  /** How many refs are cached. */
  get size(): number {
    return this.refs.size;
  }
}
