import type { Cancellable, Clock, Logger } from '@troupe/core';
import { hostPortOf } from './address/node-address.js';
import type { ClusterSettings } from './cluster-settings.js';
import { PhiAccrualFailureDetector } from './failure-detector/phi-accrual-failure-detector.js';
import { heartbeatTargets } from './failure-detector/heartbeat-targets.js';
import { type MemberEvent, diffEvents } from './membership/cluster-events.js';
import { type Gossip, changed, emptyGossip, isConverged, leaderActions, leaderOf, memberOf, mergeGossip, seenBy, withMember } from './membership/gossip.js';
import { gossipFromWire } from './membership/gossip-wire.js';
import { joiningMember, withStatus } from './membership/member.js';
import { markReachable, markUnreachable, unreachableBy } from './membership/reachability.js';
import { compareClocks } from './membership/vector-clock.js';
import type { InboundEnvelope } from './transport/envelope.js';
import type { WsTransport } from './transport/ws-transport.js';

/** Why this node stopped being a member. */
export type ShutdownReason = 'downed' | 'removed' | 'shutdown';

/** What the daemon tells its owner. */
export interface DaemonListener {
  gossipChanged(before: Gossip, after: Gossip, events: readonly MemberEvent[]): void;
  /** A node was downed or removed (never self). */
  nodeGone(address: string): void;
  /** Self was downed or removed: the owner shuts the node down. */
  selfGone(reason: ShutdownReason): void;
}

interface Monitored {
  readonly detector: PhiAccrualFailureDetector;
  readonly addedAt: number;
  /** The peer has really answered (not just the seed heartbeat of a silent peer). */
  answered: boolean;
}

/**
 * The membership engine of one node: joins through seeds, gossips the membership
 * state, runs the failure detector on its ring neighbours, performs leader actions
 * on convergence, runs the downing strategy once membership has been stable, and
 * downs itself when its side has lost for as long (see `downingTick`).
 * All ticks run on the injected clock; the state itself is changed only through the
 * pure functions of `membership/`.
 */
export class ClusterDaemon {
  private state: Gossip = emptyGossip;
  private readonly monitored = new Map<string, Monitored>();
  private readonly timers: Cancellable[] = [];
  private joinTimer: Cancellable | undefined;
  private exitTimer: Cancellable | undefined;
  private stableSince: number;
  private stabilityKey = '';
  /** Since when the downing strategy has said, without a break, that this node's side must go. */
  private ownSideLostSince: number | undefined;
  /** When a tick last ran (see `noticePause`). */
  private lastTickAt: number;
  private stopped = false;
  private gossipTicks = 0;
  private readonly gone = new Set<string>();

  constructor(
    readonly self: string,
    private readonly settings: ClusterSettings,
    private readonly transport: WsTransport,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly listener: DaemonListener,
    private readonly random: () => number = Math.random,
  ) {
    this.stableSince = clock.now();
    this.lastTickAt = this.stableSince;
  }

  /** The latest membership state. */
  get gossip(): Gossip {
    return this.state;
  }

  /** Starts the ticks and joins (or founds, without seeds) the cluster. */
  start(): void {
    const selfHostPort = hostPortOf(this.self);
    const seeds = this.settings.seeds.filter((seed) => seed !== selfHostPort);
    if (seeds.length === 0) this.update(withMember(emptyGossip, this.self, joiningMember(this.self, this.settings.roles)));
    else this.joinThrough(seeds);
    this.lastTickAt = this.clock.now();
    // Ticks three times per gossip interval: gossip goes out on every tick while fewer
    // than half the members have seen our version (as Akka does), else on every third.
    this.every(this.settings.gossipIntervalMs / 3, () => this.gossipTick());
    this.every(this.settings.leaderActionsIntervalMs, () => this.leaderTick());
    this.every(this.settings.heartbeatIntervalMs, () => this.heartbeatTick());
  }

  /** Stops every tick. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) timer.cancel();
    this.joinTimer?.cancel();
    this.exitTimer?.cancel();
  }

  /** Marks this node Leaving; `exit` moves it to Exiting once its exit tasks are done, and the leader then removes it. */
  leave(): void {
    const me = memberOf(this.state, this.self);
    if (me === undefined || (me.status !== 'up' && me.status !== 'joining')) return;
    this.update(withMember(this.state, this.self, withStatus(me, 'leaving')));
  }

  /**
   * A Leaving node whose exit tasks are done moves itself to Exiting (the leader then
   * removes it). The leader does not do it for it: only the node knows when its handoffs
   * are over.
   */
  exit(): void {
    const me = memberOf(this.state, this.self);
    if (this.stopped || me?.status !== 'leaving') return;
    this.update(withMember(this.state, this.self, withStatus(me, 'exiting')));
  }

  /** Marks `address` Down (by hand, or from a downing decision). */
  down(addresses: readonly string[]): void {
    let next = this.state;
    for (const address of addresses) {
      const member = memberOf(next, address);
      if (member === undefined || member.status === 'down' || member.status === 'removed') continue;
      next = withMember(next, this.self, withStatus(member, 'down'));
    }
    if (next !== this.state) this.update(next);
  }

  /** Handles a membership envelope from an authenticated peer. */
  receive(from: string, envelope: InboundEnvelope): void {
    if (this.stopped) return;
    switch (envelope.k) {
      case 'hb':
        this.transport.send(from, { k: 'hbr' });
        return;
      case 'hbr': {
        const monitored = this.monitored.get(from);
        if (monitored === undefined) return;
        monitored.detector.heartbeat(this.clock.now());
        monitored.answered = true;
        return;
      }
      case 'join':
        this.handleJoin(from, envelope.roles);
        return;
      case 'welcome':
      case 'gossip': {
        const remote = gossipFromWire(envelope.g);
        if (remote === undefined) {
          this.transport.stats.malformedEnvelopes++;
          return;
        }
        if (envelope.k === 'welcome') this.handleWelcome(remote);
        else this.handleGossip(from, remote);
        return;
      }
      default:
    }
  }

  private every(ms: number, tick: () => void): void {
    const run = () => {
      if (this.stopped) return;
      try {
        this.noticePause();
        tick();
      } catch (error) {
        this.log.error('cluster daemon tick failed', { error });
      }
      this.timers[index] = this.clock.schedule(ms, run);
    };
    const index = this.timers.length;
    this.timers.push(this.clock.schedule(ms, run));
  }

  private get joined(): boolean {
    return memberOf(this.state, this.self) !== undefined;
  }

  private joinThrough(seeds: readonly string[]): void {
    const attempt = () => {
      if (this.stopped || this.joined) return;
      for (const seed of seeds) {
        this.transport.handshakeWith(seed).then(
          (address) => {
            if (!this.joined && !this.stopped) this.transport.send(address, { k: 'join', roles: this.settings.roles });
          },
          (error: unknown) => this.log.debug(`join through ${seed} failed`, { error }),
        );
      }
      this.joinTimer = this.clock.schedule(this.settings.retryJoinMs, attempt);
    };
    attempt();
  }

  private handleJoin(from: string, roles: readonly string[]): void {
    const me = memberOf(this.state, this.self);
    if (me === undefined || me.status === 'down' || me.status === 'removed' || this.state.tombstones.includes(from)) return;
    let next = this.state;
    if (memberOf(next, from) === undefined) {
      // A restarted node (same host:port, new incarnation) replaces the old one: down the old.
      const hostPort = hostPortOf(from);
      for (const member of next.members) {
        if (member.address !== from && hostPortOf(member.address) === hostPort && member.status !== 'down') next = withMember(next, this.self, withStatus(member, 'down'));
      }
      next = withMember(next, this.self, joiningMember(from, roles));
      this.update(next);
    }
    this.transport.send(from, { k: 'welcome', g: this.state });
  }

  private handleWelcome(remote: Gossip): void {
    if (this.joined || memberOf(remote, this.self) === undefined) return;
    this.update(seenBy(remote, this.self));
  }

  private handleGossip(from: string, remote: Gossip): void {
    if (!this.joined) return;
    if (remote.tombstones.includes(this.self)) {
      this.update(mergeGossip(this.state, remote));
      return;
    }
    if (memberOf(remote, this.self) === undefined || this.state.tombstones.includes(from)) return;
    const local = this.state;
    let next: Gossip;
    let replyNeeded = !remote.seen.includes(this.self);
    switch (compareClocks(local.version, remote.version)) {
      case 'same': {
        const seen = [...new Set([...local.seen, ...remote.seen])];
        next = seen.length === local.seen.length ? local : { ...local, seen };
        break;
      }
      case 'before':
        next = seenBy(remote, this.self);
        replyNeeded = false;
        break;
      case 'after':
        next = local;
        replyNeeded = true;
        break;
      default:
        next = seenBy(mergeGossip(local, remote), this.self);
        replyNeeded = true;
    }
    this.update(next);
    if (replyNeeded && !this.stopped) this.transport.send(from, { k: 'gossip', g: this.state });
  }

  /** Peers worth gossiping to: live, not self, not unreachable from here. */
  private gossipPeers(): string[] {
    const unreachable = unreachableBy(this.state.reachability, this.self);
    return this.state.members.filter((m) => m.address !== this.self && m.status !== 'down' && m.status !== 'removed' && !unreachable.has(m.address)).map((m) => m.address);
  }

  private gossipTick(): void {
    if (!this.joined) return;
    const peers = this.gossipPeers();
    if (peers.length === 0) return;
    const seen = new Set(this.state.seen);
    const fast = seen.size * 2 < this.state.members.length;
    if (!fast && this.gossipTicks++ % 3 !== 0) return;
    const notSeen = peers.filter((p) => !seen.has(p));
    // Prefer a peer that has not seen our version yet (Akka's "different view" preference).
    const pool = notSeen.length > 0 && this.random() < 0.8 ? notSeen : peers;
    const target = pool[Math.floor(this.random() * pool.length)] as string;
    this.transport.send(target, { k: 'gossip', g: this.state });
  }

  private leaderTick(): void {
    if (!this.joined) return;
    const leader = leaderOf(this.state, this.self) === this.self;
    if (leader && isConverged(this.state, this.self)) {
      const { gossip, removed } = leaderActions(this.state, this.self);
      if (gossip !== this.state) {
        // Tell removed nodes first, while the connection to them is still wanted.
        for (const address of removed) if (address !== this.self) this.transport.send(address, { k: 'gossip', g: gossip });
        this.update(gossip);
        return;
      }
    }
    this.downingTick(leader);
  }

  /**
   * The leader of a view stable for stable-after downs what the strategy decides. Any
   * node, leader or not, whose side the strategy has given up for stable-after without a
   * break downs itself, whatever else its view says: a resumed zombie may see nobody it
   * could follow (every peer unreachable, the view still changing), and must not go on
   * hosting entities beside the majority that downed it.
   */
  private downingTick(leader: boolean): void {
    const strategy = this.settings.downing;
    if (strategy === undefined) return;
    const now = this.clock.now();
    if (leader && now - this.stableSince >= this.settings.stableAfterMs) {
      const decision = strategy.decide(this.state, this.self);
      if (decision !== undefined && decision.down.length > 0) {
        this.log.warn(`${strategy.name}: downing ${decision.downsOwnSide ? 'this side' : 'the unreachable side'}: ${decision.down.join(', ')}`);
        this.down(decision.down);
        return;
      }
    }
    if (this.ownSideLostSince !== undefined && now - this.ownSideLostSince >= this.settings.stableAfterMs) {
      this.log.warn(`${strategy.name}: this node has been on the losing side for ${Math.round(now - this.ownSideLostSince)} ms: downing itself`);
      this.down([this.self]);
    }
  }

  /**
   * After a gap between ticks longer than the heartbeat interval plus the acceptable
   * heartbeat pause (as long as peers take to suspect a silent node), this process was frozen (a long GC pause, a stopped VM): the silence it measured was its own, and
   * its view may be stale. Start the failure detectors afresh and wait a full stable-after
   * period again before acting on the view.
   */
  private noticePause(): void {
    const now = this.clock.now();
    const gap = now - this.lastTickAt;
    this.lastTickAt = now;
    // The heartbeat tick alone runs every heartbeat interval, so a longer gap is a stall.
    if (gap <= this.settings.heartbeatIntervalMs + this.settings.phi.acceptableHeartbeatPauseMs) return;
    this.log.warn(`cluster daemon: no tick for ${Math.round(gap)} ms (process paused?): restarting failure detection and the stable-after period`);
    this.monitored.clear();
    this.stableSince = now;
    if (this.ownSideLostSince !== undefined) this.ownSideLostSince = now;
  }

  private heartbeatTick(): void {
    if (!this.joined) return;
    const now = this.clock.now();
    const live = this.state.members.filter((m) => m.status !== 'down' && m.status !== 'removed').map((m) => m.address);
    const mine = unreachableBy(this.state.reachability, this.self);
    const targets = heartbeatTargets(this.self, live, mine, this.settings.monitoredPeers);
    const wanted = new Set(targets);
    for (const address of this.monitored.keys()) if (!wanted.has(address)) this.monitored.delete(address);
    let reachability = this.state.reachability;
    for (const target of targets) {
      let monitored = this.monitored.get(target);
      if (monitored === undefined) {
        monitored = { detector: new PhiAccrualFailureDetector(this.settings.phi), addedAt: now, answered: false };
        this.monitored.set(target, monitored);
      }
      this.transport.send(target, { k: 'hb' });
      const { detector } = monitored;
      // A peer that never answers must still become suspect: start its history as if it had answered once.
      if (!detector.isMonitoring && now - monitored.addedAt >= this.settings.expectedResponseAfterMs) detector.heartbeat(monitored.addedAt);
      const available = detector.isAvailable(now);
      if (!available && !mine.has(target)) reachability = markUnreachable(reachability, this.self, target);
      // Reachable again only once it has answered, not because its detector was started afresh.
      else if (available && mine.has(target) && monitored.answered) reachability = markReachable(reachability, this.self, target);
    }
    // Records about peers we no longer monitor would never be cleared: drop them.
    for (const subject of mine) if (!wanted.has(subject) && live.includes(subject)) reachability = markReachable(reachability, this.self, subject);
    if (reachability !== this.state.reachability) this.update(changed(this.state, this.self, { reachability }));
  }

  /** Installs `next`, publishes the differences and reacts to them. */
  private update(next: Gossip): void {
    const before = this.state;
    if (next === before) return;
    this.state = next;
    const events = diffEvents(before, next, this.self);
    // Any change of who reports whom unreachable restarts the clock (the strategies weigh each observer's records).
    const key = `${next.members.map((m) => `${m.address}=${m.status}`).join(',')}|${next.reachability.records
      .map((r) => `${r.observer}>${r.subject}`)
      .sort()
      .join(',')}`;
    if (key !== this.stabilityKey) {
      this.stabilityKey = key;
      this.stableSince = this.clock.now();
    }
    const me = memberOf(next, this.self);
    const selfGone: ShutdownReason | undefined = me?.status === 'down' ? 'downed' : next.tombstones.includes(this.self) ? 'removed' : undefined;
    if (selfGone !== undefined) {
      // Tell our side before going, so it does not wait for the failure detector.
      const unreachable = unreachableBy(next.reachability, this.self);
      for (const member of next.members) {
        // Down members too: on a minority side they are the ones that must learn they are down.
        if (member.address !== this.self && !unreachable.has(member.address)) this.transport.send(member.address, { k: 'gossip', g: next });
      }
      this.listener.gossipChanged(before, next, events);
      this.stop();
      this.listener.selfGone(selfGone);
      return;
    }
    this.trackOwnSide(next);
    for (const member of next.members) {
      if (member.status !== 'down') continue;
      // A node we knew live and now see Down is told so before we forget it: frozen, it reads this first when it resumes.
      const was = memberOf(before, member.address)?.status;
      this.markGone(member.address, was !== undefined && was !== 'down' && was !== 'removed' ? next : undefined);
    }
    for (const old of before.members) if (memberOf(next, old.address) === undefined) this.markGone(old.address);
    if (me?.status === 'exiting' && this.exitTimer === undefined) {
      // Normally the leader's last gossip tells us we are removed; don't wait forever for it.
      this.exitTimer = this.clock.schedule(this.settings.leaderActionsIntervalMs * 3 + this.settings.gossipIntervalMs * 2, () => {
        if (!this.stopped) {
          this.stop();
          this.listener.selfGone('removed');
        }
      });
    }
    this.listener.gossipChanged(before, next, events);
  }

  /** Starts or ends the period in which the strategy gives this node's side up. */
  private trackOwnSide(gossip: Gossip): void {
    const strategy = this.settings.downing;
    let losing = false;
    try {
      losing = strategy?.decide(gossip, this.self)?.downsOwnSide === true;
    } catch (error) {
      this.log.error(`downing strategy ${strategy?.name} failed`, { error });
    }
    if (!losing) this.ownSideLostSince = undefined;
    else this.ownSideLostSince ??= this.clock.now();
  }

  /** Stops watching a downed or removed node; `notice`, if given, is sent to it before the transport forgets it. */
  private markGone(address: string, notice?: Gossip): void {
    if (address === this.self || this.gone.has(address)) return;
    this.gone.add(address);
    this.monitored.delete(address);
    if (notice !== undefined) this.transport.send(address, { k: 'gossip', g: notice });
    this.listener.nodeGone(address);
  }
}
