import { randomInt } from 'node:crypto';
import { Actor, type ActorRef } from '@troupe/core';
import { publishDeadLetter } from '@troupe/core/spi';
import type { Member } from '../membership/member.js';
import { EntityPassivation } from './entity-passivation.js';
import { EntityRoute, EntityRoutes, routeOfEntity } from './entity-route.js';
import type { AcquireReply, AcquireRequest, DeliverEnvelope, PeerMessage, RegionMessage, WireDeliver } from './region-protocol.js';
import { MAX_HOPS, fromWire } from './region-inlet.js';
import { type RememberLoaded, type RememberWritten, RememberedEntities } from './remembered-entities.js';
import { Shard, entityActorName } from './shard.js';
import { ShardAllocation } from './shard-allocation.js';
import { ShardCountMismatchError } from './sharding-errors.js';
import { ShardingBuffer } from './sharding-buffer.js';
import type { ShardRegionStats, ShardingEvent } from './sharding-events.js';
import type { EntityTypeSettings } from './sharding-settings.js';

/** Buffer key of messages whose owner is unknown or disputed. */
const UNROUTED = 'r';
const TICK = 'tick';

/** What a region needs from its node. */
export interface RegionHost {
  /** This node's address. */
  readonly selfAddress: string;
  /** The region of the same entity type on `node`. */
  regionOn(node: string): ActorRef<RegionMessage>;
  /** Entity `entityId`'s path on `node` (`entityInletPath`), which the region there receives through its inlet. */
  entityOn(node: string, entityId: string, shard: number): ActorRef<unknown>;
  /** Publishes on the `sharding` topic of the event stream. */
  publish(event: ShardingEvent): void;
  /** The members as this node sees them now. */
  members(): readonly Member[];
  /** A region on `node` uses another shard count (called once per node). */
  shardCountMismatch?(node: string, error: ShardCountMismatchError): void;
}

/**
 * The region of one entity type on one node: it routes every message for the type
 * to the node owning the entity's shard, hosts the shards this node owns (starting
 * entities on their first message), acquires a shard only once every other live host
 * has released it, hands shards off when the view moves them elsewhere, passivates
 * idle and least recently used entities, and holds messages meanwhile in one bounded
 * buffer. See the package README, "Sharding".
 */
export class ShardRegion extends Actor<RegionMessage> {
  private allocation: ShardAllocation;
  private readonly shards = new Map<number, Shard>();
  private readonly buffer: ShardingBuffer<DeliverEnvelope>;
  private readonly passivation: EntityPassivation;
  private readonly mismatchReported = new Set<string>();
  /** Nodes told this region's shard count. */
  private readonly countChecked = new Set<string>();
  // Random start: a restarted region never reuses the round numbers of its previous incarnation, so a late reply cannot count.
  private nextRound = randomInt(1, 2 ** 47);
  /** The clock as of the last tick: entity activity is timed at tick granularity (reading the clock per message cost 8 % of a local sharded tell, measured). */
  private now = 0;
  /** Remember-entities bookkeeping; undefined when the option is off. */
  private readonly remembered: RememberedEntities | undefined;
  /** Asked whether every handoff finished (a leaving node waits for it). */
  private readonly handedOffWaiters: ActorRef<true>[] = [];
  /** The routes' view number of this region's allocation (see `EntityRoutes.viewChanged`). */
  private routesView = -1;

  constructor(
    private readonly settings: EntityTypeSettings<unknown>,
    private readonly host: RegionHost,
    /** The routes this node's `EntityRef`s of the type share with the region. */
    private readonly routes: EntityRoutes = new EntityRoutes(),
  ) {
    super();
    this.allocation = ShardAllocation.of([], settings.role);
    this.buffer = new ShardingBuffer(settings.bufferSize);
    this.passivation = new EntityPassivation(settings.idleTimeoutMs, settings.maxActiveEntities);
    const store = settings.rememberEntitiesStore;
    this.remembered = store === undefined ? undefined : new RememberedEntities(settings.typeName, store, (outcome) => this.context.self.tell(outcome));
  }

  override preStart(): void {
    this.allocation = ShardAllocation.of(this.host.members(), this.settings.role);
    this.routesView = this.routes.viewChanged();
    this.now = this.context.system.clock.now();
    this.context.timers.startPeriodicTimer(TICK, { t: 'sh-tick' }, this.settings.retryIntervalMs);
    this.acquireRememberedShards();
    this.checkCounts();
  }

  override postStop(): void {
    // EntityRefs must not tell the stopped entities directly: through the (stopped) region they dead-letter with a reason.
    this.routes.clear();
  }

  receive(msg: RegionMessage): void {
    try {
      this.handle(msg);
    } catch (error) {
      // Only malformed input from another node gets here; a region that failed would lose every shard it hosts.
      this.context.system.log.warn(`sharding "${this.settings.typeName}": dropping a malformed ${String((msg as { t?: unknown } | null)?.t)} message`, { error });
    }
  }

  private handle(msg: RegionMessage): void {
    switch (msg.t) {
      case 'sh-deliver': {
        // An EntityRef of this node counted it on its route: it is taken now (delivered, held or forwarded), so direct tells may follow it.
        const route = msg.route instanceof EntityRoute ? msg.route : undefined;
        if (route !== undefined) route.viaRegion--;
        if (this.acceptsCount(msg)) this.route(msg);
        if (route !== undefined) this.routes.noteIdle(route);
        return;
      }
      case 'sh-d': {
        const envelope = fromWire(msg);
        if (this.acceptsCount(envelope)) this.route(envelope);
        return;
      }
      case 'sh-acquire':
        if (this.acceptsCount(msg)) this.acquireRequested(msg);
        return;
      case 'sh-acquire-reply':
        if (this.acceptsCount(msg)) this.acquireAnswered(msg);
        return;
      case 'sh-handed-off':
        if (this.acceptsCount(msg)) for (const id of msg.shards) this.askToRelease(this.shards.get(id), msg.node);
        return;
      case 'sh-count-refused':
        this.reportMismatch(msg.node, msg.n);
        return;
      case 'sh-count-check':
        this.acceptsCount(msg);
        return;
      case 'sh-members':
        this.membersChanged(ShardAllocation.of(msg.members, this.settings.role));
        return;
      case 'sh-tick':
        this.tick();
        return;
      case 'sh-handoff-timeout':
        this.forceHandoff(msg.shard);
        return;
      case 'sh-passivate': {
        const route = routeOfEntity.get(msg.entity);
        if (route?.active === true) this.passivate(route.entityId, 'requested');
        return;
      }
      case 'sh-stats':
        msg.replyTo.tell(this.stats());
        return;
      case 'sh-remember-loaded':
        this.rememberLoaded(msg);
        return;
      case 'sh-remember-written':
        this.rememberWritten(msg);
        return;
      case 'sh-remember-restart':
        this.restartRemembered(msg.shard, msg.entityId);
        return;
      case 'sh-when-handed-off':
        this.handedOffWaiters.push(msg.replyTo);
        this.answerHandedOffWaiters();
        return;
    }
  }

  override onTerminated(ref: ActorRef<never>): void {
    const entity = routeOfEntity.get(ref);
    if (entity?.active !== true) return;
    routeOfEntity.delete(ref);
    entity.active = false;
    entity.target = undefined;
    entity.closing = false;
    this.passivation.remove(entity.entityId);
    const shard = this.shards.get(entity.shard);
    if (shard !== undefined) {
      shard.entities.delete(entity.entityId);
      const passivated = shard.passivating.delete(entity.entityId);
      // Messages that waited for the passivated entity to stop start it again (or wait for the shard's new home).
      for (const envelope of this.buffer.take(entityKey(entity.entityId))) this.route(envelope);
      if (this.remembered !== undefined && shard.state === 'active' && !shard.entities.has(entity.entityId)) this.rememberTerminated(shard, entity.entityId, passivated);
      if (shard.state === 'handing-off' && shard.entities.size === 0) this.finishHandoff(shard);
    }
    this.routes.noteIdle(entity);
  }

  private get self(): string {
    return this.host.selfAddress;
  }

  private route(envelope: DeliverEnvelope): void {
    const id = envelope.shard;
    if (!(Number.isInteger(id) && id >= 0 && id < this.settings.numberOfShards) || typeof envelope.entityId !== 'string') {
      publishDeadLetter(this.context.system, envelope.message, this.context.self.path, 'sharding-bad-envelope');
      return;
    }
    const shard = this.shards.get(id);
    if (shard !== undefined) {
      if (shard.state === 'active') this.deliverHere(shard, envelope);
      else this.hold(shardKey(id), envelope);
      return;
    }
    const owner = this.allocation.ownerOf(id);
    if (owner === undefined) this.hold(UNROUTED, envelope);
    else if (owner === this.self) {
      const acquiring = new Shard(id);
      this.shards.set(id, acquiring);
      this.hold(shardKey(id), envelope);
      this.startAcquire(acquiring);
    } else if (envelope.hops >= MAX_HOPS) this.hold(UNROUTED, envelope);
    else {
      // Built field by field: the local route must not travel, and the owner answers a refusal through `node` (a ref per message cost encoding and resolving).
      const forward: WireDeliver = { t: 'sh-d', e: envelope.entityId, s: id, m: envelope.message, h: envelope.hops + 1, n: this.settings.numberOfShards, o: this.self };
      const peer = this.host.regionOn(owner);
      peer.tell(forward);
      if (envelope.hops === 0) {
        // Everything this node's EntityRefs sent the entity before is on its way to the owner now (or counted in viaRegion): they may send there themselves, over the same connection, until the view changes.
        const route = this.routes.get(envelope.entityId);
        // Only under the newest view announced: a change the region has not processed yet must not be routed around.
        if (route !== undefined && !route.retired && this.routesView === this.routes.view) {
          // Same connection as `peer`, so the same order; the owner's region inlet counts what it forwards on the entity's route there until it takes it.
          route.remote = this.host.entityOn(owner, envelope.entityId, id);
          route.remoteView = this.routes.view;
        }
      }
    }
  }

  private deliverHere(shard: Shard, envelope: DeliverEnvelope): void {
    const { entityId } = envelope;
    if (shard.passivating.has(entityId)) {
      this.hold(entityKey(entityId), envelope);
      return;
    }
    let entity = shard.entities.get(entityId);
    let route: EntityRoute | undefined;
    if (entity === undefined) {
      if (this.remembered !== undefined && !this.remembered.has(shard.id, entityId)) {
        // Its start is stored before it runs, so an entity that handled anything is restarted after a failover.
        this.hold(entityKey(entityId), envelope);
        this.remembered.recordStart(shard.id, entityId);
        return;
      }
      entity = this.startEntity(shard, entityId);
      if (entity === undefined) {
        publishDeadLetter(this.context.system, envelope.message, `${this.context.self.path}/${entityId}`, 'sharding-entity-start-failed');
        return;
      }
      route = routeOfEntity.get(entity);
    } else if (envelope.hops === 0 || envelope.route !== undefined) route = routeOfEntity.get(entity);
    this.passivation.touch(entityId, this.now);
    entity.tell(envelope.message);
    // Everything this node's EntityRefs and the region's inlet (other nodes' messages) sent before is in the entity's mailbox now (or
    // counted in viaRegion): they may tell it directly. (Not looked up for a message that bypassed the inlet: the next one opens it.)
    if (route !== undefined && !route.closing) route.target = entity;
    if (this.passivation.size > this.settings.maxActiveEntities) {
      this.readDirectActivity();
      for (const victim of this.passivation.overLimit()) this.passivate(victim, 'limit');
    }
  }

  private startEntity(shard: Shard, entityId: string): ActorRef<unknown> | undefined {
    let entity: ActorRef<unknown>;
    try {
      entity = this.context.spawn(() => this.settings.create(entityId), {
        name: entityActorName(entityId),
        ...(this.settings.supervision === undefined ? {} : { supervision: this.settings.supervision }),
      });
    } catch (error) {
      this.context.system.log.error(`sharding "${this.settings.typeName}": cannot start entity ${entityId}`, { error });
      return undefined;
    }
    this.context.watch(entity as ActorRef<never>);
    shard.entities.set(entityId, entity);
    const route = this.routes.acquire(entityId, shard.id);
    route.active = true;
    routeOfEntity.set(entity, route);
    return entity;
  }

  private hold(key: string, envelope: DeliverEnvelope): void {
    if (!this.buffer.push(key, envelope)) publishDeadLetter(this.context.system, envelope.message, `${this.context.self.path}/${envelope.entityId}`, 'sharding-buffer-full');
  }

  private startAcquire(shard: Shard): void {
    shard.state = 'acquiring';
    shard.round = this.nextRound++;
    shard.awaiting.clear();
    for (const node of this.allocation.liveHosts) if (node !== this.self) shard.awaiting.add(node);
    if (shard.awaiting.size === 0) this.activate(shard);
    else for (const node of shard.awaiting) this.askToRelease(shard, node);
  }

  private askToRelease(shard: Shard | undefined, node: string): void {
    if (shard?.state !== 'acquiring' || !shard.awaiting.has(node)) return;
    this.host.regionOn(node).tell({ t: 'sh-acquire', entries: [[shard.id, shard.round]], from: this.context.self, node: this.self, n: this.settings.numberOfShards });
  }

  private acquireRequested(request: AcquireRequest): void {
    const released: [number, number][] = [];
    const held: number[] = [];
    for (const [id, round] of request.entries) {
      const shard = this.shards.get(id);
      const ownHere = this.allocation.ownerOf(id) === this.self;
      if (shard === undefined) released.push([id, round]);
      else if (shard.state === 'acquiring' && !ownHere) {
        this.abortAcquire(shard);
        released.push([id, round]);
      } else {
        // Still ours in our view, or its entities are still stopping: the asker retries.
        if (shard.state === 'active' && !ownHere) this.beginHandoff(shard);
        held.push(id);
      }
    }
    request.from.tell({ t: 'sh-acquire-reply', released, held, from: this.context.self, node: this.self, n: this.settings.numberOfShards });
  }

  private acquireAnswered(reply: AcquireReply): void {
    const node = reply.node;
    for (const [id, round] of reply.released) {
      const shard = this.shards.get(id);
      if (shard?.state !== 'acquiring' || shard.round !== round) continue;
      shard.awaiting.delete(node);
      if (shard.awaiting.size === 0) this.activate(shard);
    }
  }

  private activate(shard: Shard): void {
    if (this.remembered !== undefined && shard.state === 'acquiring') {
      shard.state = 'starting';
      this.remembered.open(shard.id);
      return;
    }
    shard.state = 'active';
    this.host.publish({ type: 'shard-started', typeName: this.settings.typeName, shard: shard.id, node: this.self });
    for (const envelope of this.buffer.take(shardKey(shard.id))) this.route(envelope);
  }

  private abortAcquire(shard: Shard): void {
    this.shards.delete(shard.id);
    for (const envelope of this.buffer.take(shardKey(shard.id))) this.route({ ...envelope, hops: 0 });
  }

  private membersChanged(allocation: ShardAllocation): void {
    this.allocation = allocation;
    // Shards may have moved: EntityRefs stop sending to other nodes' regions directly until this region has routed for them again.
    this.routesView = this.routes.viewChanged();
    for (const shard of [...this.shards.values()]) {
      const ownHere = allocation.ownerOf(shard.id) === this.self;
      if (shard.state === 'active' && !ownHere) this.beginHandoff(shard);
      else if (shard.state === 'acquiring' && !ownHere) this.abortAcquire(shard);
      else if (shard.state === 'acquiring') {
        // A member that is Down or Removed no longer counts: its shards are the survivors' now.
        for (const node of [...shard.awaiting]) if (!allocation.isLiveHost(node)) shard.awaiting.delete(node);
        if (shard.awaiting.size === 0) this.activate(shard);
      }
    }
    this.rerouteUnrouted();
    this.acquireRememberedShards();
    this.checkCounts();
  }

  private beginHandoff(shard: Shard): void {
    shard.state = 'handing-off';
    this.host.publish({ type: 'shard-handoff-started', typeName: this.settings.typeName, shard: shard.id, node: this.self, to: this.allocation.ownerOf(shard.id) });
    if (shard.entities.size === 0) {
      this.finishHandoff(shard);
      return;
    }
    for (const [entityId, entity] of shard.entities) {
      this.closeRoute(entity);
      this.passivation.remove(entityId);
      if (!shard.passivating.has(entityId)) this.stopEntity(entity);
    }
    this.context.timers.startSingleTimer(handoffTimer(shard.id), { t: 'sh-handoff-timeout', shard: shard.id }, this.settings.handoffTimeoutMs);
  }

  private forceHandoff(id: number): void {
    const shard = this.shards.get(id);
    if (shard?.state !== 'handing-off') return;
    this.context.system.log.warn(`sharding "${this.settings.typeName}": ${shard.entities.size} entities of shard ${id} did not stop within handoffTimeoutMs; stopping them`);
    for (const entity of shard.entities.values()) this.context.stop(entity as ActorRef<never>);
    if (this.remembered !== undefined) {
      for (const entityId of this.remembered.abandon(id)) for (const envelope of this.buffer.take(entityKey(entityId))) this.route(envelope);
      if (shard.entities.size === 0) this.finishHandoff(shard);
    }
  }

  private finishHandoff(shard: Shard): void {
    // An update in flight is stored before the next owner opens the shard (sh-remember-written calls this again).
    if (this.remembered?.busy(shard.id) === true) return;
    this.remembered?.release(shard.id);
    this.context.timers.cancel(handoffTimer(shard.id));
    this.shards.delete(shard.id);
    const owner = this.allocation.ownerOf(shard.id);
    this.host.publish({ type: 'shard-handed-off', typeName: this.settings.typeName, shard: shard.id, node: this.self, to: owner });
    if (owner !== undefined && owner !== this.self)
      this.host.regionOn(owner).tell({ t: 'sh-handed-off', shards: [shard.id], from: this.context.self, node: this.self, n: this.settings.numberOfShards });
    // After the notice, so the new owner hears of the release before these arrive (per-pair order).
    for (const envelope of this.buffer.take(shardKey(shard.id))) this.route({ ...envelope, hops: 0 });
    this.answerHandedOffWaiters();
  }

  private stopEntity(entity: ActorRef<unknown>): void {
    if (this.settings.stopMessage !== undefined) entity.tell(this.settings.stopMessage);
    else this.context.stop(entity as ActorRef<never>);
  }

  /** Closes the direct way to `entity`: from now on this node's EntityRefs go through the region, which holds or re-routes. */
  private closeRoute(entity: ActorRef<unknown>): void {
    const route = routeOfEntity.get(entity);
    if (route !== undefined) route.target = undefined;
  }

  /** Times the entities told directly since the last read as active at `now` (the clock of the previous tick, as for messages through the region). */
  private readDirectActivity(): void {
    for (const route of this.routes.takeTouched()) {
      route.touched = false;
      if (route.target !== undefined) this.passivation.touch(route.entityId, this.now);
    }
  }

  private passivate(entityId: string, reason: 'idle' | 'limit' | 'requested'): void {
    const shard = this.shards.get(this.routes.get(entityId)?.shard ?? -1);
    const entity = shard?.entities.get(entityId);
    if (shard?.state !== 'active' || entity === undefined || shard.passivating.has(entityId)) return;
    this.closeRoute(entity);
    shard.passivating.add(entityId);
    // No longer counts as active: the limit and idle checks look past it while it stops.
    this.passivation.remove(entityId);
    this.stopEntity(entity);
    this.host.publish({ type: 'entity-passivated', typeName: this.settings.typeName, entityId, node: this.self, reason });
  }

  private tick(): void {
    this.readDirectActivity();
    this.routes.retireIdle();
    this.now = this.context.system.clock.now();
    const byNode = new Map<string, [number, number][]>();
    for (const shard of this.shards.values()) {
      if (shard.state !== 'acquiring') continue;
      for (const node of shard.awaiting) {
        const entries = byNode.get(node) ?? [];
        entries.push([shard.id, shard.round]);
        byNode.set(node, entries);
      }
    }
    for (const [node, entries] of byNode) this.host.regionOn(node).tell({ t: 'sh-acquire', entries, from: this.context.self, node: this.self, n: this.settings.numberOfShards });
    this.rerouteUnrouted();
    this.remembered?.retry();
    // Activity is timed at the previous tick, up to one interval early: count from one interval later, so no entity stops before its idle timeout.
    for (const entityId of this.passivation.idle(this.now - this.settings.retryIntervalMs)) this.passivate(entityId, 'idle');
  }

  private rerouteUnrouted(): void {
    if (this.buffer.sizeOf(UNROUTED) === 0) return;
    for (const envelope of this.buffer.take(UNROUTED)) this.route({ ...envelope, hops: 0 });
  }

  /** False (and the message refused) when a peer uses another shard count. */
  private acceptsCount(msg: Exclude<PeerMessage, WireDeliver>): boolean {
    if (msg.n === this.settings.numberOfShards) return true;
    const node = msg.node ?? 'a node';
    this.reportMismatch(node, msg.n);
    if (msg.t === 'sh-deliver') publishDeadLetter(this.context.system, msg.message, `${this.context.self.path}/${msg.entityId}`, 'sharding-shard-count-mismatch');
    const from = msg.from ?? (typeof msg.node === 'string' && msg.node !== this.self ? this.host.regionOn(msg.node) : undefined);
    from?.tell({ t: 'sh-count-refused', from: this.context.self, node: this.self, n: this.settings.numberOfShards });
    return false;
  }

  private reportMismatch(node: string, remote: number): void {
    if (this.mismatchReported.has(node)) return;
    this.mismatchReported.add(node);
    const error = new ShardCountMismatchError(this.settings.typeName, node, this.settings.numberOfShards, remote);
    this.context.system.log.error(error.message, { error });
    this.host.publish({ type: 'shard-count-mismatch', typeName: this.settings.typeName, node: this.self, other: node, local: this.settings.numberOfShards, remote });
    this.host.shardCountMismatch?.(node, error);
  }

  /** Tells every live member's region our shard count once (its region answers only a mismatch; one started later checks us itself). */
  private checkCounts(): void {
    const members = this.host.members();
    for (const node of this.countChecked) if (!members.some((m) => m.address === node)) this.countChecked.delete(node);
    for (const member of members) {
      const node = member.address;
      if (node === this.self || member.status === 'down' || member.status === 'removed' || this.countChecked.has(node)) continue;
      this.countChecked.add(node);
      this.host.regionOn(node).tell({ t: 'sh-count-check', from: this.context.self, node: this.self, n: this.settings.numberOfShards });
    }
  }

  private stats(): ShardRegionStats {
    let hosted = 0;
    let handoffs = 0;
    let acquiring = 0;
    let entities = 0;
    for (const shard of this.shards.values()) {
      if (shard.state === 'acquiring') acquiring++;
      else hosted++;
      if (shard.state === 'handing-off') handoffs++;
      entities += shard.entities.size;
    }
    return { typeName: this.settings.typeName, shards: hosted, entities, handoffs, acquiring, buffered: this.buffer.size };
  }

  private answerHandedOffWaiters(): void {
    if (this.handedOffWaiters.length === 0 || [...this.shards.values()].some((shard) => shard.state !== 'acquiring')) return;
    for (const waiter of this.handedOffWaiters.splice(0)) waiter.tell(true);
  }

  // ---- remember-entities (the bookkeeping is in remembered-entities.ts) ----

  /** With remember-entities, a shard starts without waiting for a message: acquire every shard this node owns. */
  private acquireRememberedShards(): void {
    if (this.remembered === undefined) return;
    for (let id = 0; id < this.settings.numberOfShards; id++) {
      if (this.shards.has(id) || this.allocation.ownerOf(id) !== this.self) continue;
      const shard = new Shard(id);
      this.shards.set(id, shard);
      this.startAcquire(shard);
    }
  }

  private rememberLoaded(msg: RememberLoaded): void {
    const remembered = this.remembered;
    const ids = remembered?.loaded(msg);
    const shard = this.shards.get(msg.shard);
    if (remembered === undefined || shard?.state !== 'starting') return;
    if (ids === undefined) {
      if (msg.error === undefined) return;
      this.context.system.log.warn(`sharding "${this.settings.typeName}": cannot open the remember-entities store of shard ${shard.id}; retrying`, { error: msg.error });
      // No longer ours: let it go now that no claim of ours is in flight, so the new owner's claim comes last.
      if (this.allocation.ownerOf(shard.id) !== this.self) {
        shard.state = 'handing-off';
        this.finishHandoff(shard);
      }
      return;
    }
    shard.state = 'active';
    this.host.publish({ type: 'shard-started', typeName: this.settings.typeName, shard: shard.id, node: this.self });
    if (this.allocation.ownerOf(shard.id) !== this.self) {
      this.beginHandoff(shard);
      return;
    }
    for (const entityId of ids) {
      if (shard.entities.has(entityId) || this.startEntity(shard, entityId) === undefined) continue;
      this.passivation.touch(entityId, this.now);
    }
    for (const envelope of this.buffer.take(shardKey(shard.id))) this.route(envelope);
  }

  private rememberWritten(msg: RememberWritten): void {
    const remembered = this.remembered;
    if (remembered === undefined) return;
    if (msg.error !== undefined) this.context.system.log.warn(`sharding "${this.settings.typeName}": cannot update the remember-entities store of shard ${msg.shard}; retrying`, { error: msg.error });
    // Messages that waited for their entity's start to be stored go now (or wait for the shard's new home).
    for (const entityId of remembered.written(msg)) for (const envelope of this.buffer.take(entityKey(entityId))) this.route(envelope);
    const shard = this.shards.get(msg.shard);
    if (shard?.state === 'handing-off' && shard.entities.size === 0) this.finishHandoff(shard);
  }

  /** A remembered entity terminated: a passivated one is forgotten, one that stopped by itself starts again after a backoff (as Akka does). */
  private rememberTerminated(shard: Shard, entityId: string, passivated: boolean): void {
    if (passivated) this.remembered?.recordStop(shard.id, entityId);
    else if (this.remembered?.has(shard.id, entityId) === true) {
      this.context.timers.startSingleTimer(`remember-restart-${entityId}`, { t: 'sh-remember-restart', shard: shard.id, entityId }, this.settings.entityRestartBackoffMs);
    }
  }

  private restartRemembered(id: number, entityId: string): void {
    const shard = this.shards.get(id);
    if (shard?.state !== 'active' || shard.entities.has(entityId) || shard.passivating.has(entityId) || this.remembered?.has(id, entityId) !== true) return;
    if (this.startEntity(shard, entityId) !== undefined) this.passivation.touch(entityId, this.now);
  }
}

function shardKey(id: number): string {
  return `s${id}`;
}

function entityKey(entityId: string): string {
  return `e${entityId}`;
}

function handoffTimer(id: number): string {
  return `handoff-${id}`;
}
