import type { ActorSystemOptions, SerializationRegistry } from '@troupe/core';
import type { DowningStrategy } from './downing/downing-strategy.js';
import { KeepMajority } from './downing/keep-majority.js';
import { StaticQuorum } from './downing/static-quorum.js';
import type { PhiAccrualSettings } from './failure-detector/phi-accrual-failure-detector.js';
import type { ClusterHashRingOptions } from './ring/cluster-hash-ring.js';
import { type TransportOptions, type TransportSettings, resolveTransportSettings } from './transport/transport-settings.js';

/** Failure-detector options (Akka's defaults, with a longer acceptable pause for event-loop stalls). */
export interface FailureDetectorOptions extends Partial<PhiAccrualSettings> {
  /** How often each node sends heartbeats to the peers it monitors. @default 1000 ms */
  readonly heartbeatIntervalMs?: number;
  /** How many peers (ring neighbours) each node monitors. @default 5 */
  readonly monitoredPeers?: number;
  /** A monitored peer that never answered counts from this long after it was added. @default 1000 ms */
  readonly expectedResponseAfterMs?: number;
}

/** Downing (split-brain resolver) options. */
export interface DowningOptions {
  /** `keep-majority` (default), `{ staticQuorum: n }`, your own `DowningStrategy`, or `off` (down by hand with `cluster.down`). */
  readonly strategy?: 'keep-majority' | 'off' | { readonly staticQuorum: number } | DowningStrategy;
  /** The membership and reachability must not have changed for this long before the leader downs anyone, and a node whose side loses downs itself after this long. @default 7000 ms */
  readonly stableAfterMs?: number;
}

/** Options of `Cluster.start`. Only `secret` is required. */
export interface ClusterOptions {
  /** Actor-system name (the same on every node). @default 'troupe' */
  readonly name?: string;
  /** Interface to listen on and to advertise. @default '127.0.0.1' */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** `host:port` of nodes to join through. Empty: this node starts a new cluster. @default [] */
  readonly seeds?: readonly string[];
  /** Shared secret every node must hold; proven by HMAC in the handshake, never sent. At least 16 bytes. */
  readonly secret: string | Uint8Array;
  /** Roles of this node (cluster routers pick members by role). @default [] */
  readonly roles?: readonly string[];
  /** How often a node gossips its membership view to one peer. @default 1000 ms */
  readonly gossipIntervalMs?: number;
  /** How often the leader checks for convergence and moves members along. @default gossipIntervalMs */
  readonly leaderActionsIntervalMs?: number;
  /** How often to retry joining through the seeds until welcomed. @default 1000 ms */
  readonly retryJoinMs?: number;
  readonly failureDetector?: FailureDetectorOptions;
  readonly downing?: DowningOptions;
  readonly transport?: TransportOptions;
  /** How messages are serialised (bind manifests to serializers). @default a registry with JSON */
  readonly serialization?: SerializationRegistry;
  /** The hash ring over Up members (`cluster.ring`). */
  readonly hashRing?: ClusterHashRingOptions;
  /** Options of the node's actor system (clock, logger, …); `name` and `address` are set by the cluster. */
  readonly system?: Omit<ActorSystemOptions, 'name' | 'address'>;
}

/** Cluster options with defaults applied. */
export interface ClusterSettings {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly seeds: readonly string[];
  readonly secret: string | Uint8Array;
  readonly roles: readonly string[];
  readonly gossipIntervalMs: number;
  readonly leaderActionsIntervalMs: number;
  readonly retryJoinMs: number;
  readonly heartbeatIntervalMs: number;
  readonly monitoredPeers: number;
  readonly expectedResponseAfterMs: number;
  readonly phi: PhiAccrualSettings;
  readonly downing: DowningStrategy | undefined;
  readonly stableAfterMs: number;
  readonly transport: TransportSettings;
  readonly hashRing: ClusterHashRingOptions;
}

function positive(value: number | undefined, fallback: number, field: string): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`Cluster: ${field} must be a finite number > 0, got ${String(value)}`);
  return v;
}

function resolveDowning(strategy: DowningOptions['strategy']): DowningStrategy | undefined {
  if (strategy === undefined || strategy === 'keep-majority') return new KeepMajority();
  if (strategy === 'off') return undefined;
  if ('staticQuorum' in strategy) return new StaticQuorum(strategy.staticQuorum);
  if (typeof strategy.decide !== 'function') throw new TypeError('Cluster: downing.strategy must be keep-majority, off, { staticQuorum } or a DowningStrategy');
  return strategy;
}

/** Applies defaults and validates. @throws TypeError/RangeError naming the bad field */
export function resolveClusterSettings(options: ClusterOptions): ClusterSettings {
  if (options === null || typeof options !== 'object') throw new TypeError('Cluster: options must be an object');
  const secret = options.secret;
  if (!(typeof secret === 'string' || secret instanceof Uint8Array))
    throw new TypeError(`Cluster: secret must be a string or bytes of at least 16 bytes, got ${secret === undefined ? 'undefined (is the variable you read it from set?)' : typeof secret}`);
  if (Buffer.byteLength(secret) < 16) throw new TypeError(`Cluster: secret must be at least 16 bytes, got ${Buffer.byteLength(secret)}`);
  const seeds = options.seeds ?? [];
  if (!Array.isArray(seeds) || !seeds.every((s) => typeof s === 'string' && /^[^:\s]+:\d{1,5}$/.test(s))) throw new TypeError('Cluster: seeds must be an array of "host:port" strings');
  const port = options.port ?? 0;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new RangeError(`Cluster: port must be an integer in 0..65535, got ${String(options.port)}`);
  const roles = options.roles ?? [];
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string' && r !== '')) throw new TypeError('Cluster: roles must be an array of non-empty strings');
  const fd = options.failureDetector ?? {};
  const heartbeatIntervalMs = positive(fd.heartbeatIntervalMs, 1000, 'failureDetector.heartbeatIntervalMs');
  const gossipIntervalMs = positive(options.gossipIntervalMs, 1000, 'gossipIntervalMs');
  const monitoredPeers = positive(fd.monitoredPeers, 5, 'failureDetector.monitoredPeers');
  if (!Number.isInteger(monitoredPeers)) throw new RangeError('Cluster: failureDetector.monitoredPeers must be an integer');
  return {
    name: options.name ?? 'troupe',
    host: options.host ?? '127.0.0.1',
    port,
    seeds,
    secret,
    roles,
    gossipIntervalMs,
    leaderActionsIntervalMs: positive(options.leaderActionsIntervalMs, gossipIntervalMs, 'leaderActionsIntervalMs'),
    retryJoinMs: positive(options.retryJoinMs, 1000, 'retryJoinMs'),
    heartbeatIntervalMs,
    monitoredPeers,
    expectedResponseAfterMs: positive(fd.expectedResponseAfterMs, heartbeatIntervalMs, 'failureDetector.expectedResponseAfterMs'),
    phi: {
      threshold: positive(fd.threshold, 8, 'failureDetector.threshold'),
      maxSampleSize: positive(fd.maxSampleSize, 1000, 'failureDetector.maxSampleSize'),
      minStdDeviationMs: positive(fd.minStdDeviationMs, 100, 'failureDetector.minStdDeviationMs'),
      acceptableHeartbeatPauseMs: positive(fd.acceptableHeartbeatPauseMs, 3000, 'failureDetector.acceptableHeartbeatPauseMs'),
      firstHeartbeatEstimateMs: positive(fd.firstHeartbeatEstimateMs, heartbeatIntervalMs, 'failureDetector.firstHeartbeatEstimateMs'),
    },
    downing: resolveDowning(options.downing?.strategy),
    stableAfterMs: positive(options.downing?.stableAfterMs, 7000, 'downing.stableAfterMs'),
    transport: resolveTransportSettings(options.transport),
    hashRing: options.hashRing ?? {},
  };
}
