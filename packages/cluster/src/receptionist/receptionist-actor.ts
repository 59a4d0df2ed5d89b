import { Actor, type ActorRef } from '@troupe/core';
import type { Member, MemberStatus } from '../membership/member.js';
import type { Listing } from './listing.js';
import { type Delta, type FullState, type PeerMessage, type ReceptionistMessage, type Subscription, type WireRegistration, peerMessageProblem, registrationsFrom } from './receptionist-protocol.js';
import type { ReceptionistSettings } from './receptionist-settings.js';
import { isServiceKeyName } from './service-key.js';
import { EMPTY_REGISTRY, type Registration, type RegistryStep, type ServiceRegistry, applyDelta, applyFull, changeOwn, pathsOf, registrationsOf, retainNodes, versionOf } from './service-registry.js';

const TICK = 'rc-tick';
/** Members whose registrations count: a Down or Removed node's actors are gone with it. */
const LIVE: ReadonlySet<MemberStatus> = new Set(['joining', 'up', 'leaving', 'exiting']);

/** What a receptionist needs from its node. */
export interface ReceptionistHost {
  /** This node's address. */
  readonly selfAddress: string;
  /** The members as this node sees them now. */
  members(): readonly Member[];
  /** The receptionist on `node`. */
  peerOn(node: string): ActorRef<ReceptionistMessage>;
  /** A ref to the actor at `path` on another node. */
  remoteRef(path: string): ActorRef<unknown>;
}

/**
 * The receptionist of one node. It owns this node's registrations (watching each
 * registered actor), sends every change to the receptionists of the other members as a
 * versioned delta, answers a new member with its full state, keeps a replica of every
 * other live member's registrations, drops a member's when it leaves the membership, and
 * tells subscribers each change of their key. See the package README, "Receptionist".
 */
export class ReceptionistActor extends Actor<ReceptionistMessage> {
  private registry: ServiceRegistry = EMPTY_REGISTRY;
  /** Live members other than this node. */
  private live = new Set<string>();
  /** Live members known to run a receptionist (one has written to us): deltas and heartbeats go to them. */
  private readonly peers = new Set<string>();
  /** This node's registered actors by path (registered under one key or more). */
  private readonly registrants = new Map<string, ActorRef<unknown>>();
  private readonly subscriptionsByKey = new Map<string, Set<Subscription>>();
  /** Subscriptions of actors, by the subscriber's path (watched, dropped when it stops). */
  private readonly subscriptionsByRef = new Map<string, Set<Subscription>>();
  private refused = 0;

  constructor(
    private readonly settings: ReceptionistSettings,
    private readonly host: ReceptionistHost,
  ) {
    super();
  }

  override preStart(): void {
    this.membersChanged(this.host.members());
    this.context.timers.startPeriodicTimer(TICK, { t: 'rc-tick' }, this.settings.syncIntervalMs);
  }

  receive(msg: ReceptionistMessage): void {
    try {
      this.handle(msg);
    } catch (error) {
      // Only malformed input from another node gets here; a receptionist that failed would forget every registration.
      this.context.system.log.warn(`receptionist: dropping a malformed ${String((msg as { t?: unknown } | null)?.t)} message`, { error });
    }
  }

  override onTerminated(ref: ActorRef<never>): void {
    const path = ref.path;
    if (this.registrants.delete(path)) {
      const removed = registrationsOf(this.registry, this.self).filter(([, p]) => p === path);
      this.changeOwn([], removed);
    }
    for (const subscription of this.subscriptionsByRef.get(path) ?? []) this.unsubscribe(subscription);
  }

  private get self(): string {
    return this.host.selfAddress;
  }

  private handle(msg: ReceptionistMessage): void {
    switch (msg.t) {
      case 'rc-register':
        return this.register(msg.key, msg.ref);
      case 'rc-deregister':
        return this.deregister(msg.key, msg.ref);
      case 'rc-find':
        return msg.replyTo.tell(this.listingOf(msg.key));
      case 'rc-subscribe':
        return this.subscribe(msg.subscription);
      case 'rc-unsubscribe':
        return this.unsubscribe(msg.subscription);
      case 'rc-members':
        return this.membersChanged(msg.members);
      case 'rc-tick':
        for (const peer of this.peers) this.host.peerOn(peer).tell({ t: 'rc-version', node: this.self, version: versionOf(this.registry, this.self) });
        return;
      case 'rc-full':
      case 'rc-delta':
      case 'rc-version':
      case 'rc-pull':
        return this.fromPeer(msg);
      default:
        this.refuse(`unknown message ${JSON.stringify((msg as { t?: unknown }).t)}`);
    }
  }

  private register(key: string, ref: ActorRef<unknown>): void {
    // The public API checked both; a message forged by another node is refused here too.
    if (!isServiceKeyName(key) || !ref.path.startsWith(`${this.self}/`)) return this.refuse(`registration of ${ref.path} under ${key}`);
    if (!this.registrants.has(ref.path)) {
      this.registrants.set(ref.path, ref);
      // Already stopped: Terminated comes at once and withdraws the registration.
      this.context.watch(ref as ActorRef<never>);
    }
    this.changeOwn([[key, ref.path]], []);
  }

  private deregister(key: string, ref: ActorRef<unknown>): void {
    this.changeOwn([], [[key, ref.path]]);
    if (registrationsOf(this.registry, this.self).some(([, p]) => p === ref.path)) return;
    if (this.registrants.delete(ref.path) && !this.subscriptionsByRef.has(ref.path)) this.context.unwatch(ref as ActorRef<never>);
  }

  private changeOwn(added: readonly Registration[], removed: readonly Registration[]): void {
    const step = changeOwn(this.registry, this.self, added, removed);
    const delta = step.extra.delta;
    if (delta === undefined) return;
    this.commit(step);
    const message: Delta = { t: 'rc-delta', node: this.self, version: delta.version, added: delta.added.map(([key, path]) => this.wire(key, path)), removed: delta.removed };
    for (const peer of this.peers) this.host.peerOn(peer).tell(message);
  }

  private subscribe(subscription: Subscription): void {
    let byKey = this.subscriptionsByKey.get(subscription.key);
    if (byKey === undefined) this.subscriptionsByKey.set(subscription.key, (byKey = new Set()));
    byKey.add(subscription);
    const target = subscription.target;
    if (typeof target !== 'function') {
      let byRef = this.subscriptionsByRef.get(target.path);
      if (byRef === undefined) {
        this.subscriptionsByRef.set(target.path, (byRef = new Set()));
        this.context.watch(target as ActorRef<never>);
      }
      byRef.add(subscription);
    }
    this.deliver(subscription, this.listingOf(subscription.key));
  }

  private unsubscribe(subscription: Subscription): void {
    subscription.active = false;
    const byKey = this.subscriptionsByKey.get(subscription.key);
    byKey?.delete(subscription);
    if (byKey?.size === 0) this.subscriptionsByKey.delete(subscription.key);
    const target = subscription.target;
    if (typeof target === 'function') return;
    const byRef = this.subscriptionsByRef.get(target.path);
    byRef?.delete(subscription);
    if (byRef?.size !== 0) return;
    this.subscriptionsByRef.delete(target.path);
    if (!this.registrants.has(target.path)) this.context.unwatch(target as ActorRef<never>);
  }

  private membersChanged(members: readonly Member[]): void {
    const live = new Set(members.filter((m) => LIVE.has(m.status) && m.address !== this.self).map((m) => m.address));
    const appeared = [...live].filter((node) => !this.live.has(node));
    this.live = live;
    for (const peer of this.peers) if (!live.has(peer)) this.peers.delete(peer);
    this.commit(retainNodes(this.registry, (node) => node === this.self || live.has(node)));
    // Full state both ways with each member that appears: it may have registrations already, and it has none of ours.
    for (const node of appeared) this.sendFullState(node, true);
  }

  private fromPeer(msg: PeerMessage): void {
    const problem = peerMessageProblem(msg);
    if (problem !== undefined) return this.refuse(problem);
    const node = msg.node;
    // Not (or no longer) a member here: its state would outlive its removal. It is sent ours, and asked for its own, once it appears.
    if (!this.live.has(node)) return;
    if (!this.peers.has(node)) {
      this.peers.add(node);
      // It may have missed changes made before it was known to run a receptionist.
      this.host.peerOn(node).tell({ t: 'rc-version', node: this.self, version: versionOf(this.registry, this.self) });
    }
    switch (msg.t) {
      case 'rc-full': {
        const { registrations, refused } = registrationsFrom(node, msg.entries);
        if (refused > 0) this.refuse(`${refused} registrations from ${node} that are not its own actors`);
        this.commit(applyFull(this.registry, node, msg.version, registrations));
        if (msg.pull) this.sendFullState(node, false);
        return;
      }
      case 'rc-delta': {
        const added = registrationsFrom(node, msg.added);
        const removed = registrationsFrom(node, msg.removed);
        if (added.refused + removed.refused > 0) return this.pull(node);
        const step = applyDelta(this.registry, node, { version: msg.version, added: added.registrations, removed: removed.registrations });
        if (step.extra.outcome === 'gap') return this.pull(node);
        this.commit(step);
        return;
      }
      case 'rc-version':
        if (msg.version > versionOf(this.registry, node)) this.pull(node);
        return;
      case 'rc-pull':
        this.sendFullState(node, false);
        return;
    }
  }

  private pull(node: string): void {
    this.host.peerOn(node).tell({ t: 'rc-pull', node: this.self });
  }

  private sendFullState(node: string, pull: boolean): void {
    const entries = registrationsOf(this.registry, this.self).map(([key, path]) => this.wire(key, path));
    const message: FullState = { t: 'rc-full', node: this.self, version: versionOf(this.registry, this.self), entries, pull };
    this.host.peerOn(node).tell(message);
  }

  private wire(key: string, path: string): WireRegistration {
    return [key, this.refOf(path)];
  }

  private refOf(path: string): ActorRef<unknown> {
    return this.registrants.get(path) ?? this.host.remoteRef(path);
  }

  private listingOf(key: string): Listing<unknown> {
    return { type: 'receptionist-listing', key, refs: pathsOf(this.registry, key).map((path) => this.refOf(path)) };
  }

  private commit(step: RegistryStep): void {
    this.registry = step.registry;
    for (const key of step.changedKeys) {
      const subscriptions = this.subscriptionsByKey.get(key);
      if (subscriptions === undefined) continue;
      const listing = this.listingOf(key);
      for (const subscription of subscriptions) this.deliver(subscription, listing);
    }
  }

  private deliver(subscription: Subscription, listing: Listing<unknown>): void {
    if (!subscription.active) return;
    const target = subscription.target;
    if (typeof target !== 'function') return target.tell(listing);
    try {
      target(listing);
    } catch (error) {
      // One subscriber's throw must not cost the others their listing, nor the receptionist its state.
      this.context.system.log.error(`receptionist: a subscriber of "${subscription.key}" threw`, { error });
    }
  }

  private refuse(what: string): void {
    this.refused++;
    this.context.system.log.warn(`receptionist: refused ${what} (${this.refused} refused so far)`);
  }
}
