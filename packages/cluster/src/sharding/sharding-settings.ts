import type { Actor, SupervisorStrategy } from '@troupe/core';
import type { EntityTypeKey } from './entity-type-key.js';
import type { RememberEntitiesStore } from './remember-entities-store.js';

/** Options of entity passivation. */
export interface PassivationOptions {
  /** An entity that received no message through sharding this long is stopped; `Infinity` turns it off. @default 120000 (`Infinity` with `rememberEntities`) */
  readonly idleTimeoutMs?: number;
  /** Most active entities of the type on one node; beyond it the least recently used are stopped. @default 100000 */
  readonly maxActiveEntities?: number;
}

/** What `ClusterSharding.init` takes. */
export interface EntityTypeOptions<M> {
  /** The entity type; the same name on every node. */
  readonly typeKey: EntityTypeKey<M>;
  /** Builds the entity with id `entityId` on the node that hosts it. */
  readonly create: (entityId: string) => Actor<M>;
  /** Shards of the type; the same on every node. @default 1000 */
  readonly numberOfShards?: number;
  /** Only members with this role host entities of the type; the others route to them. @default every member */
  readonly role?: string;
  /** Sent to an entity to stop it on handoff and passivation (it must stop itself on it). @default none: `context.stop` */
  readonly stopMessage?: M;
  /** Idle timeout and active-entity limit. */
  readonly passivation?: PassivationOptions;
  /** Messages one region may hold while shards are located, acquired, handed off or passivated. @default 100000 */
  readonly bufferSize?: number;
  /** Entities of a shard being handed off that have not stopped after this are stopped forcibly. @default 10000 */
  readonly handoffTimeoutMs?: number;
  /** Interval of acquire-round retries, re-routing of waiting messages and idle checks. @default 1000 */
  readonly retryIntervalMs?: number;
  /** How an entity's failures are handled. @default the region's default strategy (restart) */
  readonly supervision?: SupervisorStrategy;
  /** Record which entities are active and start them all at once wherever their shard starts next (needs `rememberEntitiesStore`). @default false */
  readonly rememberEntities?: boolean;
  /** Where the active entities are recorded, e.g. `new JournalRememberEntitiesStore(cluster.system)` from `@troupe/persistence`. */
  readonly rememberEntitiesStore?: RememberEntitiesStore;
  /** With `rememberEntities`, an entity that stopped without being passivated is started again after this. @default 10000 */
  readonly entityRestartBackoffMs?: number;
}

/** `EntityTypeOptions` with every default filled in and validated. */
export interface EntityTypeSettings<M> {
  readonly typeName: string;
  readonly create: (entityId: string) => Actor<M>;
  readonly numberOfShards: number;
  readonly role: string | undefined;
  readonly stopMessage: M | undefined;
  readonly idleTimeoutMs: number;
  readonly maxActiveEntities: number;
  readonly bufferSize: number;
  readonly handoffTimeoutMs: number;
  readonly retryIntervalMs: number;
  readonly supervision: SupervisorStrategy | undefined;
  /** The store of active entities when `rememberEntities` is on; undefined when off. */
  readonly rememberEntitiesStore: RememberEntitiesStore | undefined;
  readonly entityRestartBackoffMs: number;
}

/** Defaults of `EntityTypeOptions`, in one place. */
export const SHARDING_DEFAULTS = Object.freeze({
  numberOfShards: 1000,
  idleTimeoutMs: 120_000,
  maxActiveEntities: 100_000,
  bufferSize: 100_000,
  handoffTimeoutMs: 10_000,
  retryIntervalMs: 1000,
  entityRestartBackoffMs: 10_000,
});

function positiveInteger(field: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (!(typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= max))
    throw new RangeError(`ClusterSharding.init: ${field} must be an integer in 1..${max}, got ${String(value)}`);
  return value;
}

function positiveMs(field: string, value: unknown, allowInfinity: boolean): number {
  if (!(typeof value === 'number' && value > 0 && (Number.isFinite(value) || (allowInfinity && value === Infinity)))) {
    throw new RangeError(`ClusterSharding.init: ${field} must be a ${allowInfinity ? 'number > 0 or Infinity' : 'finite number > 0'}, got ${String(value)}`);
  }
  return value;
}

/**
 * Validates `options` and fills in the defaults.
 * @throws TypeError / RangeError naming the bad field
 */
export function resolveEntityTypeSettings<M>(options: EntityTypeOptions<M>): EntityTypeSettings<M> {
  if (options === null || typeof options !== 'object') throw new TypeError('ClusterSharding.init: options must be an object');
  if (options.typeKey === undefined || typeof options.typeKey.name !== 'string') throw new TypeError('ClusterSharding.init: typeKey must be an EntityTypeKey');
  if (typeof options.create !== 'function') throw new TypeError('ClusterSharding.init: create must be a function (entityId) => Actor');
  if (options.role !== undefined && (typeof options.role !== 'string' || options.role.length === 0)) throw new TypeError('ClusterSharding.init: role must be a non-empty string');
  const passivation = options.passivation ?? {};
  if (passivation === null || typeof passivation !== 'object') throw new TypeError('ClusterSharding.init: passivation must be an object');
  const remember = options.rememberEntities ?? false;
  if (typeof remember !== 'boolean') throw new TypeError(`ClusterSharding.init: rememberEntities must be a boolean, got ${String(remember)}`);
  const store = options.rememberEntitiesStore;
  if (remember && store === undefined)
    throw new TypeError('ClusterSharding.init: rememberEntitiesStore is required when rememberEntities is true (e.g. new JournalRememberEntitiesStore(cluster.system) from @troupe/persistence)');
  if (store !== undefined && (store === null || typeof store !== 'object' || typeof store.openShard !== 'function'))
    throw new TypeError('ClusterSharding.init: rememberEntitiesStore must be a RememberEntitiesStore (an object with openShard(typeName, shard))');
  if (!remember && store !== undefined) throw new TypeError('ClusterSharding.init: rememberEntitiesStore is set but rememberEntities is not true');
  // Akka's choice: idle passivation would forget the entities that remembering is meant to keep running, so it is off unless asked for.
  const idleDefault = remember ? Infinity : SHARDING_DEFAULTS.idleTimeoutMs;
  return {
    typeName: options.typeKey.name,
    create: options.create,
    numberOfShards: positiveInteger('numberOfShards', options.numberOfShards ?? SHARDING_DEFAULTS.numberOfShards, 1_000_000),
    role: options.role,
    stopMessage: options.stopMessage,
    idleTimeoutMs: positiveMs('passivation.idleTimeoutMs', passivation.idleTimeoutMs ?? idleDefault, true),
    maxActiveEntities: positiveInteger('passivation.maxActiveEntities', passivation.maxActiveEntities ?? SHARDING_DEFAULTS.maxActiveEntities),
    bufferSize: positiveInteger('bufferSize', options.bufferSize ?? SHARDING_DEFAULTS.bufferSize),
    handoffTimeoutMs: positiveMs('handoffTimeoutMs', options.handoffTimeoutMs ?? SHARDING_DEFAULTS.handoffTimeoutMs, false),
    retryIntervalMs: positiveMs('retryIntervalMs', options.retryIntervalMs ?? SHARDING_DEFAULTS.retryIntervalMs, false),
    supervision: options.supervision,
    rememberEntitiesStore: remember ? store : undefined,
    entityRestartBackoffMs: positiveMs('entityRestartBackoffMs', options.entityRestartBackoffMs ?? SHARDING_DEFAULTS.entityRestartBackoffMs, false),
  };
}
