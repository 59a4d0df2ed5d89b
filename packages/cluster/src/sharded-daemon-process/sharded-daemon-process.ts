import type { Cluster } from '../cluster.js';
import { ClusterSharding } from '../sharding/cluster-sharding.js';
import { EntityTypeKey } from '../sharding/entity-type-key.js';
import { ShardedDaemonProcessOptionError } from './sharded-daemon-process-errors.js';
import { DaemonInstance } from './daemon-instance.js';
import { type DaemonMessage, STOP, daemonTypeName } from './daemon-protocol.js';
import { KeepAlivePinger } from './keep-alive-pinger.js';
import { type ShardedDaemonProcessOptions, type ShardedDaemonProcessSettings, resolveShardedDaemonProcessSettings } from './sharded-daemon-process-settings.js';

const instances = new WeakMap<Cluster, ShardedDaemonProcess>();

/**
 * Keeps N numbered actors (indexes `0 … N-1`) alive, spread over the cluster, each
 * running on exactly one node at a time: the instances are sharded entities (ids
 * `"0"` … `"N-1"`), started without any traffic by keep-alive pings from the oldest
 * nodes, moved with sharding's handoff when members join or leave, and started again
 * on a survivor when their node is downed. Akka's Sharded Daemon Process; what a
 * projection split into slice ranges runs on. See the package README, "Sharded daemon process".
 *
 * @example
 * ShardedDaemonProcess.get(cluster).init({
 *   name: 'orders-projection',
 *   numberOfInstances: 4,
 *   create: (index) => new ProjectionActor(() => ordersProjection(sliceRanges(4)[index])),
 *   stopMessage: ProjectionActor.stopMessage,
 * });
 */
export class ShardedDaemonProcess {
  private readonly processes = new Map<string, { readonly settings: ShardedDaemonProcessSettings<unknown>; readonly running: Set<number> }>();

  private constructor(private readonly cluster: Cluster) {}

  /** The sharded daemon process extension of `cluster` (one per cluster node). */
  static get(cluster: Cluster): ShardedDaemonProcess {
    let extension = instances.get(cluster);
    if (extension === undefined) {
      extension = new ShardedDaemonProcess(cluster);
      instances.set(cluster, extension);
    }
    return extension;
  }

  /**
   * Starts daemon process `name` on this node: registers its sharded entity type
   * (`sharded-daemon-<name>`) and this node's keep-alive pinger. Call it on every node,
   * right after `Cluster.start`, with the same name, `numberOfInstances`, role and shard
   * count (as `ClusterSharding.init`).
   * @throws ShardedDaemonProcessOptionError naming a bad option, or `name` when it is already started on this node
   */
  init<M>(options: ShardedDaemonProcessOptions<M>): void {
    const settings = resolveShardedDaemonProcessSettings(options) as ShardedDaemonProcessSettings<unknown>;
    if (this.processes.has(settings.name)) throw new ShardedDaemonProcessOptionError('name', `"${settings.name}" is already started on this node`);
    const cluster = this.cluster;
    const sharding = ClusterSharding.get(cluster);
    const typeKey = EntityTypeKey.of<DaemonMessage>(daemonTypeName(settings.name));
    const running = new Set<number>();
    sharding.init({
      typeKey,
      create: (entityId) => new DaemonInstance(settings, entityId, running),
      numberOfShards: settings.numberOfShards,
      ...(settings.role === undefined ? {} : { role: settings.role }),
      stopMessage: STOP,
      // A daemon runs without traffic: only keep-alives reach it, so idle passivation would stop it between them.
      passivation: { idleTimeoutMs: Infinity },
      handoffTimeoutMs: settings.handoffTimeoutMs,
      retryIntervalMs: settings.retryIntervalMs,
    });
    this.processes.set(settings.name, { settings, running });
    const refs = Array.from({ length: settings.numberOfInstances }, (_, index) => sharding.entityRefFor(typeKey, String(index)));
    cluster.system.spawn(
      () =>
        new KeepAlivePinger(refs, settings.role, settings.keepAliveFromNumberOfNodes, settings.keepAliveIntervalMs, {
          selfAddress: cluster.selfAddress,
          members: () => cluster.state.members,
          onMembershipChange: (onChange) =>
            cluster.subscribe(
              (event) => {
                if (event.type !== 'ring-changed' && event.type !== 'leader-changed' && event.type !== 'unreachable-member' && event.type !== 'reachable-member') onChange();
              },
              { initialState: false },
            ),
        }),
      { name: `troupe-sharded-daemon-${settings.name}` },
    );
  }

  /** The indexes of daemon process `name` whose instances run on this node now, ascending. @throws TypeError when `name` is not started here */
  localInstances(name: string): number[] {
    const process = this.processes.get(name);
    if (process === undefined) throw new TypeError(`ShardedDaemonProcess: "${name}" is not started on this node; call init first`);
    return [...process.running].sort((a, b) => a - b);
  }

  /** The sharding entity type key of daemon process `name` (for `ClusterSharding.stats` and `clusterStats`). @throws TypeError when `name` is not started here */
  typeKeyOf(name: string): EntityTypeKey<never> {
    if (!this.processes.has(name)) throw new TypeError(`ShardedDaemonProcess: "${name}" is not started on this node; call init first`);
    return EntityTypeKey.of<never>(daemonTypeName(name));
  }
}
