import type { Actor, SupervisorStrategy } from '@troupe/core';
import { ShardedDaemonProcessOptionError } from './sharded-daemon-process-errors.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Most instances one daemon process may keep alive (Akka: "intended for up to thousands of processes"). */
export const MAX_DAEMON_INSTANCES = 10_000;

/** Defaults of `ShardedDaemonProcessOptions`, in one place (Akka's `sharded-daemon-process` reference.conf where it has one). */
export const SHARDED_DAEMON_PROCESS_DEFAULTS = Object.freeze({
  /** Akka's `keep-alive-interval`. */
  keepAliveIntervalMs: 10_000,
  /** Akka's `keep-alive-from-number-of-nodes`: the 3 oldest nodes ping, so a cluster of any size sends 3 × N pings per interval. */
  keepAliveFromNumberOfNodes: 3,
  /** Sharding's shard count; instances are entities `"0"` … `"N-1"` hashed onto these shards. */
  numberOfShards: 1000,
  /** Sharding's handoff timeout. */
  handoffTimeoutMs: 10_000,
  /** Sharding's acquire-round retry interval. */
  retryIntervalMs: 1000,
});

/** What `ShardedDaemonProcess.init` takes. */
export interface ShardedDaemonProcessOptions<M> {
  /** The process's name (letters, digits, `-`, `_`); the same on every node. */
  readonly name: string;
  /** How many instances (indexes `0 … numberOfInstances - 1`) to keep alive; the same on every node. */
  readonly numberOfInstances: number;
  /** Builds instance `index` on the node that runs it. */
  readonly create: (index: number) => Actor<M>;
  /** Only members with this role run instances (and send keep-alives); the others only route. @default every member */
  readonly role?: string;
  /** Sent to an instance to stop it when it moves to another node; it must stop itself on it. @default none: the instance is stopped with `context.stop` */
  readonly stopMessage?: M;
  /** How often each keep-alive node pings every instance, starting any that is not running. @default 10000 */
  readonly keepAliveIntervalMs?: number;
  /** How many of the oldest Up members (with the role) send keep-alives; `Infinity`: every member. @default 3 */
  readonly keepAliveFromNumberOfNodes?: number;
  /** How an instance's failures are handled (a stopped instance is started again by the next keep-alive). @default the default strategy (restart) */
  readonly supervision?: SupervisorStrategy;
  /** Shards the instances are hashed onto; the same on every node. @default 1000 */
  readonly numberOfShards?: number;
  /** An instance moving to another node that has not stopped after this is stopped forcibly. @default 10000 */
  readonly handoffTimeoutMs?: number;
  /** Sharding's retry interval (acquire rounds of a moving instance). @default 1000 */
  readonly retryIntervalMs?: number;
}

/** `ShardedDaemonProcessOptions` with every default filled in and validated. */
export interface ShardedDaemonProcessSettings<M> {
  readonly name: string;
  readonly numberOfInstances: number;
  readonly create: (index: number) => Actor<M>;
  readonly role: string | undefined;
  readonly stopMessage: M | undefined;
  readonly keepAliveIntervalMs: number;
  readonly keepAliveFromNumberOfNodes: number;
  readonly supervision: SupervisorStrategy | undefined;
  readonly numberOfShards: number;
  readonly handoffTimeoutMs: number;
  readonly retryIntervalMs: number;
}

function integerIn(field: string, value: unknown, max: number): number {
  if (!(typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= max)) throw new ShardedDaemonProcessOptionError(field, `must be an integer in 1..${max}, got ${String(value)}`);
  return value;
}

function positiveMs(field: string, value: unknown): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) throw new ShardedDaemonProcessOptionError(field, `must be a finite number of ms > 0, got ${String(value)}`);
  return value;
}

/**
 * Validates `options` and fills in the defaults.
 * @throws ShardedDaemonProcessOptionError naming the bad field
 */
export function resolveShardedDaemonProcessSettings<M>(options: ShardedDaemonProcessOptions<M>): ShardedDaemonProcessSettings<M> {
  if (options === null || typeof options !== 'object') throw new ShardedDaemonProcessOptionError('options', 'must be an object');
  if (typeof options.name !== 'string' || !NAME.test(options.name))
    throw new ShardedDaemonProcessOptionError('name', `must be letters, digits, '-' or '_' (starting with a letter or digit), got ${JSON.stringify(options.name)}`);
  if (typeof options.create !== 'function') throw new ShardedDaemonProcessOptionError('create', 'must be a function (index) => Actor');
  if (options.role !== undefined && (typeof options.role !== 'string' || options.role.length === 0)) throw new ShardedDaemonProcessOptionError('role', 'must be a non-empty string');
  const numberOfInstances = integerIn('numberOfInstances', options.numberOfInstances, MAX_DAEMON_INSTANCES);
  const from = options.keepAliveFromNumberOfNodes ?? SHARDED_DAEMON_PROCESS_DEFAULTS.keepAliveFromNumberOfNodes;
  if (from !== Infinity) integerIn('keepAliveFromNumberOfNodes', from, Number.MAX_SAFE_INTEGER);
  if (options.supervision !== undefined && (options.supervision === null || typeof options.supervision !== 'object'))
    throw new ShardedDaemonProcessOptionError('supervision', 'must be a SupervisorStrategy');
  return {
    name: options.name,
    numberOfInstances,
    create: options.create,
    role: options.role,
    stopMessage: options.stopMessage,
    keepAliveIntervalMs: positiveMs('keepAliveIntervalMs', options.keepAliveIntervalMs ?? SHARDED_DAEMON_PROCESS_DEFAULTS.keepAliveIntervalMs),
    keepAliveFromNumberOfNodes: from,
    supervision: options.supervision,
    numberOfShards: integerIn('numberOfShards', options.numberOfShards ?? SHARDED_DAEMON_PROCESS_DEFAULTS.numberOfShards, 1_000_000),
    handoffTimeoutMs: positiveMs('handoffTimeoutMs', options.handoffTimeoutMs ?? SHARDED_DAEMON_PROCESS_DEFAULTS.handoffTimeoutMs),
    retryIntervalMs: positiveMs('retryIntervalMs', options.retryIntervalMs ?? SHARDED_DAEMON_PROCESS_DEFAULTS.retryIntervalMs),
  };
}
