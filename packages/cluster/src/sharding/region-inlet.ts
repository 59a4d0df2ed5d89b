import { ActorRef, type ActorSystem } from '@troupe/core';
import { type SystemMessage, sendSystemMessage } from '@troupe/core/spi';
import type { EntityRoute, EntityRoutes } from './entity-route.js';
import type { DeliverEnvelope, RegionMessage, WireDeliver } from './region-protocol.js';

/** A forwarded message that has hopped this often waits for a view change instead of bouncing on (the region's rule). */
export const MAX_HOPS = 3;

/** First segment, below the region's path, of the path an `EntityRef` on another node sends an entity's messages to (no entity actor's name starts so). */
const ENTITY_SEGMENT = '$e/';

/**
 * The path, below a region's, that an `EntityRef` on another node sends the messages of
 * entity `entityId` to once its region has forwarded one there: `$e/<n>/<shard>/<entityId>`
 * (`n`: the sender's shard count, checked per frame, not per message). The messages travel
 * as told, with no envelope: the transport writes the path once per frame and each message
 * as a direct tell's, so a remote sharded tell costs what a direct one does on the wire
 * (an `sh-d` envelope per message made one 2.5× the bytes, and JSON decoding is most of a
 * remote message's cost on the receiving node, measured).
 */
export function entityInletPath(numberOfShards: number, shard: number, entityId: string): string {
  return `${ENTITY_SEGMENT}${numberOfShards}/${shard}/${entityId}`;
}

/**
 * Where the transport hands what other nodes send to a shard region or below it (see
 * `Cluster.receiveInboundVia`). The region's own messages go to the region, except that a
 * sharded one (`sh-d`) is counted on its entity's route (`viaRegion`) so nothing told
 * after it overtakes it. Messages to an entity's path (`entityInletPath`) go to an
 * `EntityInlet`.
 */
export class RegionInlet extends ActorRef<RegionMessage> {
  constructor(
    private readonly region: ActorRef<RegionMessage>,
    private readonly routes: EntityRoutes,
    private readonly numberOfShards: number,
  ) {
    super();
  }

  get path(): string {
    return this.region.path;
  }

  get system(): ActorSystem {
    return this.region.system;
  }

  /** The ref that inbound messages to `below` (the path below the region's; '' for the region itself) go to, or undefined for the actor tree to resolve (the entities' own paths). */
  resolve(below: string): ActorRef<unknown> | undefined {
    if (below === '') return this;
    if (!below.startsWith(ENTITY_SEGMENT)) return undefined;
    const countEnd = below.indexOf('/', ENTITY_SEGMENT.length);
    const shardEnd = countEnd < 0 ? -1 : below.indexOf('/', countEnd + 1);
    if (shardEnd < 0) return undefined;
    const n = Number(below.slice(ENTITY_SEGMENT.length, countEnd));
    const shard = Number(below.slice(countEnd + 1, shardEnd));
    return this.entity(below.slice(shardEnd + 1), shard, n);
  }

  /** The inlet of messages to entity `entityId` from a node with shard count `n`. */
  entity(entityId: string, shard: number, n: number): EntityInlet {
    // A node with another shard count (or a malformed path): every message goes to the region, which refuses it as a mismatch.
    const route = this.countsMatch(shard, n) ? this.routes.acquire(entityId, shard) : undefined;
    return new EntityInlet(this.region, route, entityId, shard, n);
  }

  tell(message: RegionMessage): void {
    // Anything else, malformed input included, is the region's to handle (it drops what it cannot read, with a warning).
    if (message !== null && typeof message === 'object' && message.t === 'sh-d' && typeof message.e === 'string' && this.countsMatch(message.s, message.n)) {
      const route = this.routes.acquire(message.e, message.s);
      route.viaRegion++;
      this.region.tell(fromWire(message, route));
    } else this.region.tell(message);
  }

  [sendSystemMessage](message: SystemMessage): void {
    this.region[sendSystemMessage](message);
  }

  private countsMatch(shard: unknown, n: unknown): shard is number {
    return n === this.numberOfShards && Number.isInteger(shard) && (shard as number) >= 0 && (shard as number) < this.numberOfShards;
  }
}

/**
 * What messages to one entity's path from another node are told to (one per frame and
 * entity): while the entity's direct way is open (`EntityRoute.target`: active here, in
 * an active shard, not passivating or handing off, nothing for it waiting in the
 * region's mailbox) a message goes straight into the entity's mailbox, as a local
 * `EntityRef`'s tell does, without the region's actor turn; otherwise it goes to the
 * region counted on the route, which delivers, holds or forwards it as any other.
 */
export class EntityInlet extends ActorRef<unknown> {
  constructor(
    private readonly region: ActorRef<RegionMessage>,
    /** Undefined when the sender's shard count differs: the region refuses every message. */
    private readonly route: EntityRoute | undefined,
    private readonly entityId: string,
    private readonly shard: number,
    private readonly n: number,
  ) {
    super();
  }

  get path(): string {
    return `${this.region.path}/${entityInletPath(this.n, this.shard, this.entityId)}`;
  }

  get system(): ActorSystem {
    return this.region.system;
  }

  tell(message: unknown): void {
    const route = this.route;
    if (route === undefined) {
      this.region.tell({ t: 'sh-deliver', entityId: this.entityId, shard: this.shard, message, hops: 1, n: this.n });
      return;
    }
    if (route.viaRegion === 0) {
      const target = route.target;
      if (target !== undefined) {
        route.touch();
        target.tell(message);
        return;
      }
    }
    route.viaRegion++;
    this.region.tell({ t: 'sh-deliver', entityId: this.entityId, shard: this.shard, message, hops: 1, n: this.n, route });
  }

  /** Nothing watches or stops this path: only `EntityRef`s send to it, and they never hand it out. */
  [sendSystemMessage](): void {}
}

/**
 * A message forwarded by another node's region as this region routes it (a hop count that
 * is not a number counts as used up: it waits instead of bouncing), counted on `route`
 * when given.
 */
export function fromWire(msg: WireDeliver, route?: EntityRoute): DeliverEnvelope {
  const envelope: { -readonly [K in keyof DeliverEnvelope]: DeliverEnvelope[K] } = {
    t: 'sh-deliver',
    entityId: msg.e,
    shard: msg.s,
    message: msg.m,
    hops: typeof msg.h === 'number' ? msg.h : MAX_HOPS,
    n: msg.n,
  };
  if (typeof msg.o === 'string') envelope.node = msg.o;
  if (route !== undefined) envelope.route = route;
  return envelope;
}
