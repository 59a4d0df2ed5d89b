import { Actor, type ActorRef } from '@troupe/core';
import { publishDeadLetter } from '@troupe/core/spi';
import type { Member } from '../membership/member.js';
import { oldestUpMember } from './member-age.js';
import { SingletonBuffer } from './singleton-buffer.js';
import type { ManagerMessage } from './singleton-protocol.js';

/**
 * Marks the proxy's own control messages. A symbol never survives serialization, so no
 * user message (local, or told to the proxy's ref from another node) can pass for one.
 */
const CONTROL = Symbol('troupe.singleton-proxy-control');

/** The membership as this node sees it now, for the proxy (built by `proxyMembersMessage`). */
export interface ProxyMembers {
  readonly [CONTROL]: true;
  readonly members: readonly Member[];
}

/** The control message that tells a proxy the current members. */
export function proxyMembersMessage(members: readonly Member[]): ProxyMembers {
  return { [CONTROL]: true, members };
}

function isControl(msg: unknown): msg is ProxyMembers {
  return typeof msg === 'object' && msg !== null && (msg as Partial<ProxyMembers>)[CONTROL] === true;
}

/** What a proxy needs from its node. */
export interface ProxyHost {
  /** The singleton's manager on `node`. */
  managerOn(node: string): ActorRef<ManagerMessage>;
}

/**
 * The proxy of one singleton on one node: its ref is what `ClusterSingleton.init`
 * returns. It sends every message to the manager on the oldest Up member with the role
 * (which hands it to the instance, or holds it during a hand-over), and holds messages
 * itself, bounded, while no such member is known.
 */
export class SingletonProxy extends Actor<unknown> {
  private oldest: string | undefined;
  private readonly buffer: SingletonBuffer<unknown>;

  constructor(
    private readonly role: string | undefined,
    bufferSize: number,
    private readonly host: ProxyHost,
    members: readonly Member[],
  ) {
    super();
    this.buffer = new SingletonBuffer(bufferSize);
    this.oldest = oldestUpMember(members, role)?.address;
  }

  receive(msg: unknown): void {
    if (isControl(msg)) {
      this.oldest = oldestUpMember(msg.members, this.role)?.address;
      if (this.oldest !== undefined) for (const waiting of this.buffer.takeAll()) this.send(this.oldest, waiting);
      return;
    }
    if (this.oldest !== undefined) this.send(this.oldest, msg);
    else if (!this.buffer.push(msg)) publishDeadLetter(this.context.system, msg, this.context.self.path, 'singleton-buffer-full');
  }

  private send(node: string, message: unknown): void {
    this.host.managerOn(node).tell({ t: 'sg-deliver', m: message, hops: 0 });
  }
}
