import type { Member } from '../membership/member.js';
import { compareAge, hasRole, oldestUpMember } from './member-age.js';

/**
 * One node's record of who may host a singleton, and the rule that keeps it to one
 * instance: this node starts the instance only when it is Up and the oldest Up member
 * with the role in its view, AND every member older than it (with the role) has either
 * handed over (its instance has terminated; it is no longer Up, so it never starts one
 * again) or has been Down or gone from the view for `marginMs` (time for a minority
 * that lost a partition to have downed itself). No I/O: the manager feeds it members,
 * hand-over notices and the time.
 */
export class SingletonSuccession {
  /** Members with the role ever seen (last known state), by address. */
  private readonly known = new Map<string, Member>();
  /** When this node first saw a member Down or gone without a hand-over. */
  private readonly goneSince = new Map<string, number>();
  private readonly handedOver = new Set<string>();
  private members: readonly Member[] = [];
  /** Addresses with the role in the last view, not Removed. */
  private present = new Set<string>();

  constructor(
    /** This node's address. */
    readonly self: string,
    /** Only members with this role host the singleton. */
    readonly role: string | undefined,
    /** How long a Down or vanished older member must stay so before this node takes over. */
    readonly marginMs: number,
  ) {}

  /** Installs the current membership (as this node sees it) at time `now`, and forgets members gone for longer than the margin. */
  update(members: readonly Member[], now: number): void {
    this.members = members;
    const present = new Set<string>();
    for (const member of members) {
      // A member shown as Removed is gone: its margin runs from here, as for one no longer listed.
      if (!hasRole(member, this.role) || member.status === 'removed') continue;
      present.add(member.address);
      this.known.set(member.address, member);
      if (member.status === 'down' && !this.goneSince.has(member.address)) this.goneSince.set(member.address, now);
    }
    for (const address of this.known.keys()) if (!present.has(address) && !this.goneSince.has(address)) this.goneSince.set(address, now);
    this.present = present;
    this.prune(now);
  }

  /**
   * Forgets members gone from the view whose margin has passed at `now` (they no longer
   * hold anything back: see `takeOverNotBefore`), and hand-over answers from nodes not
   * known, so the records do not grow with every member that ever joined.
   */
  prune(now: number): void {
    for (const [address, since] of this.goneSince) {
      if (this.present.has(address) || since + this.marginMs > now) continue;
      this.goneSince.delete(address);
      this.known.delete(address);
      this.handedOver.delete(address);
    }
    for (const address of this.handedOver) if (!this.known.has(address)) this.handedOver.delete(address);
  }

  /** How many members this record keeps anything about (for tests of the pruning). */
  get trackedMembers(): number {
    return new Set([...this.known.keys(), ...this.goneSince.keys(), ...this.handedOver]).size;
  }

  /** `node` reported that its instance has terminated and it will not start one again. */
  handOverReceived(node: string): void {
    this.handedOver.add(node);
  }

  /** This node as a member, if it is one. */
  get selfMember(): Member | undefined {
    return this.members.find((m) => m.address === this.self);
  }

  /** True when this node is Up. */
  get selfIsUp(): boolean {
    return this.selfMember?.status === 'up';
  }

  /** The oldest Up member with the role, in this node's view. */
  get oldest(): string | undefined {
    return oldestUpMember(this.members, this.role)?.address;
  }

  /** True when this node is Up, has the role and is the oldest such member. */
  get selfIsOldest(): boolean {
    return this.oldest === this.self;
  }

  /** Older members still live in this node's view that have not handed over: this node asks them to. */
  pendingHandOvers(): string[] {
    return this.olderMembers()
      .filter((m) => !this.handedOver.has(m.address) && !this.goneSince.has(m.address))
      .map((m) => m.address);
  }

  /** Older members Down or gone without a hand-over whose margin has not passed at `now`: the earliest time this node may take over, or undefined. */
  takeOverNotBefore(now: number): number | undefined {
    let latest: number | undefined;
    for (const member of this.olderMembers()) {
      if (this.handedOver.has(member.address)) continue;
      const since = this.goneSince.get(member.address);
      if (since === undefined) continue;
      const at = since + this.marginMs;
      if (at > now && (latest === undefined || at > latest)) latest = at;
    }
    return latest;
  }

  /** True when this node may start the instance at `now` (see the class comment). */
  mayStart(now: number): boolean {
    return this.selfIsOldest && this.pendingHandOvers().length === 0 && this.takeOverNotBefore(now) === undefined;
  }

  /** Members with the role older than this node (all of them while it is not yet Up). */
  private olderMembers(): Member[] {
    const me = this.selfMember;
    const older: Member[] = [];
    for (const member of this.known.values()) {
      if (member.address === this.self || member.upNumber === 0) continue;
      if (me === undefined || me.upNumber === 0 || compareAge(member, me) < 0) older.push(member);
    }
    return older;
  }
}
