import type { Actor, SupervisorStrategy } from '@troupe/core';
import { SingletonOptionError } from './singleton-errors.js';

/** What the instance's factory is told: where it runs and its epoch (the host's up number, growing with every move). */
export interface SingletonInstanceInfo {
  readonly node: string;
  readonly epoch: number;
}

/** What `ClusterSingleton.init` takes. */
export interface SingletonOptions<M> {
  /** The singleton's name, the same on every node: letters, digits, `-` and `_`, at most 100 characters. */
  readonly name: string;
  /** Builds the instance on the node that hosts it. */
  readonly create: (info: SingletonInstanceInfo) => Actor<M>;
  /** Only members with this role host the singleton (one instance per name among them); any node may use the proxy. @default every member */
  readonly role?: string;
  /** Sent to the instance to stop it on hand-over (it must stop itself on it; a persistent actor finishes its in-flight persists first). @default none: `context.stop` */
  readonly stopMessage?: M;
  /** Messages the proxy, and the hosting node's manager, each hold while there is no instance; beyond it they go to dead letters (`singleton-buffer-full`). @default 1000 */
  readonly bufferSize?: number;
  /** How often the new oldest asks the previous one to hand over, and waiting messages are re-routed. @default 1000 */
  readonly handOverRetryIntervalMs?: number;
  /** How long an older member must have been Down (or gone without handing over) before this node takes over. @default the cluster's `downing.stableAfterMs` */
  readonly downRemovalMarginMs?: number;
  /** An instance that has not stopped this long after its stop message is stopped forcibly. @default 10000 */
  readonly stopTimeoutMs?: number;
  /** How the instance's failures are handled. @default the manager's default strategy (restart) */
  readonly supervision?: SupervisorStrategy;
}

/** `SingletonOptions` with every default filled in and validated. */
export interface SingletonSettings<M> {
  readonly name: string;
  readonly create: (info: SingletonInstanceInfo) => Actor<M>;
  readonly role: string | undefined;
  readonly stopMessage: M | undefined;
  readonly bufferSize: number;
  readonly handOverRetryIntervalMs: number;
  readonly downRemovalMarginMs: number;
  readonly stopTimeoutMs: number;
  readonly supervision: SupervisorStrategy | undefined;
}

/** Defaults of `SingletonOptions`, in one place (`downRemovalMarginMs` defaults to the cluster's stable-after). */
export const SINGLETON_DEFAULTS = Object.freeze({
  bufferSize: 1000,
  maxBufferSize: 10_000,
  handOverRetryIntervalMs: 1000,
  stopTimeoutMs: 10_000,
});

const NAME = /^[A-Za-z0-9_-]{1,100}$/;

function positiveMs(field: string, value: unknown): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) throw new SingletonOptionError(field, `must be a finite number of milliseconds > 0, got ${String(value)}`);
  return value;
}

/**
 * Validates `options` and fills in the defaults; `stableAfterMs` is the cluster's.
 * @throws SingletonOptionError naming the bad field
 */
export function resolveSingletonSettings<M>(options: SingletonOptions<M>, stableAfterMs: number): SingletonSettings<M> {
  if (options === null || typeof options !== 'object') throw new SingletonOptionError('options', 'must be an object');
  if (typeof options.name !== 'string' || !NAME.test(options.name)) throw new SingletonOptionError('name', `must be 1 to 100 letters, digits, "-" or "_", got ${JSON.stringify(options.name)}`);
  if (typeof options.create !== 'function') throw new SingletonOptionError('create', 'must be a function ({ node, epoch }) => Actor');
  if (options.role !== undefined && (typeof options.role !== 'string' || options.role.length === 0)) throw new SingletonOptionError('role', 'must be a non-empty string');
  const bufferSize = options.bufferSize ?? SINGLETON_DEFAULTS.bufferSize;
  if (!(Number.isInteger(bufferSize) && bufferSize > 0 && bufferSize <= SINGLETON_DEFAULTS.maxBufferSize))
    throw new SingletonOptionError('bufferSize', `must be an integer in 1..${SINGLETON_DEFAULTS.maxBufferSize}, got ${String(bufferSize)}`);
  return {
    name: options.name,
    create: options.create,
    role: options.role,
    stopMessage: options.stopMessage,
    bufferSize,
    handOverRetryIntervalMs: positiveMs('handOverRetryIntervalMs', options.handOverRetryIntervalMs ?? SINGLETON_DEFAULTS.handOverRetryIntervalMs),
    downRemovalMarginMs: positiveMs('downRemovalMarginMs', options.downRemovalMarginMs ?? stableAfterMs),
    stopTimeoutMs: positiveMs('stopTimeoutMs', options.stopTimeoutMs ?? SINGLETON_DEFAULTS.stopTimeoutMs),
    supervision: options.supervision,
  };
}
