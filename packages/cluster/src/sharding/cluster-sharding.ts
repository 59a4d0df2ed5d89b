import type { ActorRef } from '@troupe/core';
import { compareAddresses } from '../address/node-address.js';
import type { Cluster } from '../cluster.js';
import type { Member } from '../membership/member.js';
import { EntityRef } from './entity-ref.js';
import { RegionInlet, entityInletPath } from './region-inlet.js';
import { EntityRoutes } from './entity-route.js';
import type { EntityTypeKey } from './entity-type-key.js';
import { type RegionMessage, regionName } from './region-protocol.js';
import { ShardRegion } from './shard-region.js';
import { shardIdOf } from './shard-id.js';
import type { ShardCountMismatchError } from './sharding-errors.js';
import { SHARDING_TOPIC, type ShardRegionStats, type ShardingEvent } from './sharding-events.js';
import { type EntityTypeOptions, type EntityTypeSettings, resolveEntityTypeSettings } from './sharding-settings.js';

const MAX_ENTITY_ID_LENGTH = 1024;
const instances = new WeakMap<Cluster, ClusterSharding>();

/**
 * Cluster sharding on one node: entity types are registered with `init` (on every
 * node that hosts or addresses them), and `entityRefFor` addresses an entity by type
 * and id, never by node. See the package README, "Sharding".
 *
 * @example
 * const sharding = ClusterSharding.get(cluster);
 * sharding.init({ typeKey: Cart, create: (id) => new CartEntity(id) });
 * sharding.entityRefFor(Cart, 'cart-42').tell({ type: 'add', sku: 'a1' });
 */
export class ClusterSharding {
  private readonly regions = new Map<string, { readonly ref: ActorRef<RegionMessage>; readonly settings: EntityTypeSettings<unknown>; readonly routes: EntityRoutes }>();
  private unsubscribe: (() => void) | undefined;
  private removeExitTask: (() => void) | undefined;
  /** Nodes whose regions use another shard count than one of ours, until this node leaves or they are gone. */
  private readonly mismatches = new Map<string, ShardCountMismatchError>();
  private leavingForMismatch = false;

  private constructor(private readonly cluster: Cluster) {}

  /** The sharding extension of `cluster` (one per cluster node). */
  static get(cluster: Cluster): ClusterSharding {
    let sharding = instances.get(cluster);
    if (sharding === undefined) {
      sharding = new ClusterSharding(cluster);
      instances.set(cluster, sharding);
    }
    return sharding;
  }

  /**
   * Registers an entity type on this node and starts its shard region. Call it on
   * every node with the same type name and shard count; a node without the type's
   * `role` only routes to the others.
   * @throws TypeError when the type is already registered here; TypeError/RangeError naming a bad option
   */
  init<M>(options: EntityTypeOptions<M>): void {
    const settings = resolveEntityTypeSettings(options) as EntityTypeSettings<unknown>;
    if (this.regions.has(settings.typeName)) throw new TypeError(`ClusterSharding.init: entity type "${settings.typeName}" is already registered on this node`);
    const system = this.cluster.system;
    const peers = new Map<string, ActorRef<RegionMessage>>();
    const name = regionName(settings.typeName);
    const routes = new EntityRoutes();
    const ref = system.spawn(
      () =>
        new ShardRegion(
          settings,
          {
            selfAddress: this.cluster.selfAddress,
            regionOn: (node) => {
              let peer = peers.get(node);
              if (peer === undefined) {
                peer = this.cluster.refFor<RegionMessage>(this.cluster.pathOn(node, name));
                peers.set(node, peer);
              }
              return peer;
            },
            entityOn: (node, entityId, shard) => this.cluster.refFor(this.cluster.pathOn(node, `${name}/${entityInletPath(settings.numberOfShards, shard, entityId)}`)),
            members: () => this.cluster.state.members,
            publish: (event: ShardingEvent) => {
              if (system.eventStream.hasSubscribers(SHARDING_TOPIC)) system.eventStream.publish(SHARDING_TOPIC, event);
            },
            shardCountMismatch: (node, error) => this.refuseMismatch(node, error),
          },
          routes,
        ),
      { name },
    );
    // Messages from other nodes reach an active entity without the region's actor turn (see RegionInlet).
    const inlet = new RegionInlet(ref, routes, settings.numberOfShards);
    this.cluster.receiveInboundVia(`/user/${name}`, (below) => inlet.resolve(below));
    this.regions.set(settings.typeName, { ref, settings, routes });
    this.removeExitTask ??= this.cluster.addExitTask(() => this.whenHandedOff());
    this.unsubscribe ??= this.cluster.subscribe(
      (event) => {
        if (event.type === 'ring-changed' || event.type === 'leader-changed') return;
        const members = this.cluster.state.members;
        for (const region of this.regions.values()) {
          // At once, not when the region gets to it: EntityRefs must not keep sending straight to a node the new view may not route to.
          region.routes.viewChanged();
          region.ref.tell({ t: 'sh-members', members });
        }
        this.leaveIfYounger();
      },
      { initialState: false },
    );
  }

  /**
   * A ref to entity `entityId` of `typeKey`, usable at once from this node wherever the
   * entity lives or will live.
   * @throws TypeError when the type is not registered on this node or the id is not a non-empty string (at most 1024 characters)
   */
  entityRefFor<M>(typeKey: EntityTypeKey<M>, entityId: string): EntityRef<M> {
    const region = this.regionOf(typeKey);
    if (typeof entityId !== 'string' || entityId.length === 0 || entityId.length > MAX_ENTITY_ID_LENGTH) {
      throw new TypeError(`ClusterSharding.entityRefFor: entityId must be a non-empty string of at most ${MAX_ENTITY_ID_LENGTH} characters, got ${JSON.stringify(entityId)}`);
    }
    const n = region.settings.numberOfShards;
    // Hashed once per ref, not per message, and not at all while the id has a route here (active, or addressed within a tick): code that calls entityRefFor per message skips MD5.
    const shard = region.routes.get(entityId)?.shard ?? shardIdOf(entityId, n);
    return new EntityRef<M>(typeKey.name, entityId, shard, region.ref, n, region.routes);
  }

  /** The shard of `entityId` for `typeKey` (the same on every node). */
  shardIdOf(typeKey: EntityTypeKey<unknown>, entityId: string): number {
    return shardIdOf(entityId, this.regionOf(typeKey).settings.numberOfShards);
  }

  /** This node's shards, active entities, handoffs in progress and buffered messages of `typeKey`. */
  stats(typeKey: EntityTypeKey<unknown>, timeoutMs = 5000): Promise<ShardRegionStats> {
    return this.regionOf(typeKey).ref.ask<ShardRegionStats>((replyTo) => ({ t: 'sh-stats', replyTo }), { timeoutMs });
  }

  /**
   * Every live member's stats of `typeKey`, by node address (asked of each member's
   * region; a member that does not answer within `timeoutMs` is left out).
   */
  async clusterStats(typeKey: EntityTypeKey<unknown>, timeoutMs = 5000): Promise<Map<string, ShardRegionStats>> {
    const region = this.regionOf(typeKey);
    const name = regionName(region.settings.typeName);
    const nodes = this.cluster.state.members.filter((m) => m.status !== 'down' && m.status !== 'removed').map((m) => m.address);
    const answers = await Promise.allSettled(
      nodes.map((node) => this.cluster.refFor<RegionMessage>(this.cluster.pathOn(node, name)).ask<ShardRegionStats>((replyTo) => ({ t: 'sh-stats', replyTo }), { timeoutMs })),
    );
    const stats = new Map<string, ShardRegionStats>();
    answers.forEach((answer, i) => {
      if (answer.status === 'fulfilled') stats.set(nodes[i] as string, answer.value);
    });
    return stats;
  }

  /**
   * Settles once every region of this node has handed all its shards off (a leaving node
   * waits for it before Exiting, so nothing a region buffered is lost), each bounded by
   * its type's handoff timeout plus two retry intervals.
   */
  private async whenHandedOff(): Promise<void> {
    await Promise.all(
      [...this.regions.values()].map(async ({ ref, settings }) => {
        const timeoutMs = settings.handoffTimeoutMs + 2 * settings.retryIntervalMs;
        try {
          await ref.ask<true>((replyTo) => ({ t: 'sh-when-handed-off', replyTo }), { timeoutMs });
        } catch (error) {
          this.cluster.system.log.warn(`sharding "${settings.typeName}": handoffs not finished within ${timeoutMs} ms of leaving; leaving anyway`, { error });
        }
      }),
    );
  }

  /**
   * Of two members whose regions disagree on a shard count, the younger (the one that
   * joined later) leaves: the running cluster keeps serving, and a node started with the
   * wrong count is refused as it joins instead of failing its first messages.
   */
  private refuseMismatch(node: string, error: ShardCountMismatchError): void {
    this.mismatches.set(node, error);
    this.leaveIfYounger();
  }

  /** Runs on every detected mismatch and membership change (the ages may not be known at detection). */
  private leaveIfYounger(): void {
    if (this.mismatches.size === 0 || this.leavingForMismatch) return;
    const members = this.cluster.state.members;
    const self = members.find((m) => m.address === this.cluster.selfAddress);
    for (const [node, error] of this.mismatches) {
      const other = members.find((m) => m.address === node);
      if (other === undefined || other.status === 'down' || other.status === 'removed') this.mismatches.delete(node);
      if (self === undefined || other === undefined || !isYounger(self, other)) continue;
      this.leavingForMismatch = true;
      this.cluster.system.log.error(`${error.message}; this node joined later, so it leaves the cluster`, { error });
      // Not from inside the membership listener that may have called this: the leave changes the membership itself.
      Promise.resolve()
        .then(() => this.cluster.leave())
        .catch((cause: unknown) => this.cluster.system.log.error('leaving after a shard-count mismatch failed', { error: cause }));
      return;
    }
  }

  private regionOf(typeKey: EntityTypeKey<unknown>) {
    const region = typeKey === undefined ? undefined : this.regions.get(typeKey.name);
    if (region === undefined) throw new TypeError(`ClusterSharding: entity type "${typeKey?.name}" is not registered on this node; call init first`);
    return region;
  }
}

/** True when `a` became Up after `b` (a higher up number; members made Up in one leader round are numbered by address), or is not Up yet (ties: the higher address). */
function isYounger(a: Member, b: Member): boolean {
  const ageA = a.upNumber === 0 ? Infinity : a.upNumber;
  const ageB = b.upNumber === 0 ? Infinity : b.upNumber;
  return ageA !== ageB ? ageA > ageB : compareAddresses(a.address, b.address) > 0;
}
