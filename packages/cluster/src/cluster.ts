import { randomBytes } from 'node:crypto';
import { type ActorRef, ActorSystem, ConsoleLogger, SerializationRegistry } from '@troupe/core';
import { inboundDelivery } from '@troupe/core/spi';
import { withCurrentIncarnation } from './address/current-incarnation.js';
import { formatAddress } from './address/node-address.js';
import { ClusterDaemon, type ShutdownReason } from './cluster-daemon.js';
import { type ClusterOptions, type ClusterSettings, resolveClusterSettings } from './cluster-settings.js';
import { ClusterShutDownError } from './errors.js';
import { type ClusterEvent, type CurrentClusterState, type MemberEvent, currentState } from './membership/cluster-events.js';
import { type Gossip, memberOf } from './membership/gossip.js';
import type { Member } from './membership/member.js';
import { Remoting } from './remote/remoting.js';
import { ClusterHashRing } from './ring/cluster-hash-ring.js';
import type { TransportStats } from './transport/transport-stats.js';
import { WsTransport } from './transport/ws-transport.js';

/** Published when the hash ring's node set changes. */
export interface RingChanged {
  readonly type: 'ring-changed';
  readonly ring: ClusterHashRing;
}

/** A listener of cluster events. */
export type ClusterListener = (event: ClusterEvent | RingChanged) => void;

/** Options of `cluster.subscribe`. */
export interface SubscribeOptions {
  /** Send a `current-cluster-state` snapshot first. @default true */
  readonly initialState?: boolean;
}

/** Set by `Cluster`'s static block: its transport, for the testing entry point only. */
let transportOfCluster: (cluster: Cluster) => WsTransport;

/** The transport of `cluster`; internal (not exported from the package's index). */
export function transportOf(cluster: Cluster): WsTransport {
  return transportOfCluster(cluster);
}

/**
 * One node of a Troupe cluster: an actor system whose address carries host, port and
 * incarnation, a ws transport, remote refs, gossip membership, a failure detector,
 * a downing strategy and a hash ring over the Up members.
 *
 * @example
 * const cluster = await Cluster.start({ name: 'shop', port: 0, seeds: ['127.0.0.1:2551'], secret: process.env.SECRET! });
 * await cluster.whenUp;
 * const remote = cluster.refFor<Msg>('troupe://shop@127.0.0.1:2551#k2j4/user/inventory');
 * remote.tell({ type: 'reserve', sku: 'a1', replyTo: self });
 */
export class Cluster {
  /** Resolves when this node is Up. Rejects if it shuts down first. */
  readonly whenUp: Promise<void>;
  /** Resolves when this node has left (removed, downed or shut down) and its actor system terminated. */
  readonly whenTerminated: Promise<ShutdownReason>;
  private readonly listeners = new Set<ClusterListener>();
  private currentRing: ClusterHashRing;
  private shutdownReason: ShutdownReason | undefined;
  private resolveUp: () => void;
  private rejectUp: (error: unknown) => void;
  private resolveTerminated: (reason: ShutdownReason) => void;
  private daemonRef: ClusterDaemon | undefined;
  private shuttingDown: Promise<void> | undefined;
  private readonly exitTasks = new Set<() => Promise<void>>();
  private leaving: Promise<void> | undefined;

  static {
    // The testing entry point (`@troupe/cluster/testing`) reaches the transport through
    // this, so that test-only switches stay off the public class.
    transportOfCluster = (cluster) => cluster.transport;
  }

  private constructor(
    /** The node's actor system; its address is the node address. */
    readonly system: ActorSystem,
    private readonly transport: WsTransport,
    private readonly remoting: Remoting,
    readonly settings: ClusterSettings,
  ) {
    this.currentRing = ClusterHashRing.of([], settings.hashRing);
    const up = Promise.withResolvers<void>();
    this.whenUp = up.promise;
    this.whenUp.catch(() => {});
    this.resolveUp = up.resolve;
    this.rejectUp = up.reject;
    const terminated = Promise.withResolvers<ShutdownReason>();
    this.whenTerminated = terminated.promise;
    this.resolveTerminated = terminated.resolve;
  }

  /**
   * Listens, creates the actor system with the node address, and starts joining
   * through `seeds` (or founds a new cluster when there are none). Resolves once
   * listening; await `whenUp` for membership.
   * @throws TypeError/RangeError naming a bad option
   */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const settings = resolveClusterSettings(options);
    const incarnation = randomBytes(6).toString('hex');
    const transport = await WsTransport.listen(settings.host, settings.port, settings.secret, settings.transport, (port) =>
      formatAddress({ system: settings.name, host: settings.host, port, incarnation }),
    );
    let system: ActorSystem;
    try {
      system = ActorSystem.create({ ...(options.system ?? {}), name: settings.name, address: transport.address });
    } catch (error) {
      await transport.close();
      throw error;
    }
    const log = options.system?.logger ?? new ConsoleLogger('warn', `troupe ${transport.address}`);
    const remoting = new Remoting(system, transport, options.serialization ?? new SerializationRegistry(), log);
    const cluster = new Cluster(system, transport, remoting, settings);
    // The daemon calls these from inbound frames and from its timers: nothing they throw may reach the event loop.
    const guarded = (where: string, run: () => void) => {
      try {
        run();
      } catch (error) {
        transport.callbackFailed(where, error);
      }
    };
    const daemon = new ClusterDaemon(transport.address, settings, transport, system.clock, log, {
      gossipChanged: (before, after, events) => guarded('publishing a membership change', () => cluster.gossipChanged(before, after, events)),
      nodeGone: (address) => guarded(`forgetting ${address}`, () => remoting.nodeGone(address)),
      selfGone: (reason) =>
        guarded('leaving the cluster', () => {
          cluster.stop(reason).catch((error: unknown) => transport.callbackFailed('shutting down', error));
        }),
    });
    cluster.daemonRef = daemon;
    transport.inboundDelivery = inboundDelivery(system);
    transport.onMessageRun = (_from, to, frame, start, end) => remoting.receiveRun(to, frame, start, end);
    transport.onEnvelope = (from, envelope) => {
      if (envelope.k === 'msg' || envelope.k === 'sys') remoting.receive(from, envelope);
      else daemon.receive(from, envelope);
    };
    daemon.start();
    return cluster;
  }

  /** This node's unique address (`troupe://<name>@<host>:<port>#<incarnation>`). */
  get selfAddress(): string {
    return this.transport.address;
  }

  /** `host:port` other nodes can use as a seed. */
  get hostPort(): string {
    return `${this.settings.host}:${this.transport.port}`;
  }

  /** The membership snapshot as this node sees it. */
  get state(): CurrentClusterState {
    return currentState(this.daemon.gossip, this.selfAddress);
  }

  /** This node as a member (undefined before it joined). */
  get selfMember(): Member | undefined {
    return memberOf(this.daemon.gossip, this.selfAddress);
  }

  /** The consistent hash ring over the Up members (see `ClusterHashRingOptions`). */
  get ring(): ClusterHashRing {
    return this.currentRing;
  }

  /** Transport counters: frames, malformed input, handshake failures, drops. */
  get transportStats(): Readonly<TransportStats> {
    return this.transport.stats;
  }

  /** Why the node stopped, once it has. */
  get terminationReason(): ShutdownReason | undefined {
    return this.shutdownReason;
  }

  /**
   * Calls `listener` for every cluster event (also published on the actor system's
   * event stream under `cluster`), first with a `current-cluster-state` snapshot.
   * Returns the unsubscribe function.
   */
  subscribe(listener: ClusterListener, options: SubscribeOptions = {}): () => void {
    if (typeof listener !== 'function') throw new TypeError('Cluster.subscribe: listener must be a function');
    this.listeners.add(listener);
    if (options.initialState ?? true) this.emit(listener, this.state);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * A ref to the actor at `path`, on this node or another. A path without the incarnation
   * (`troupe://sys@host:port/user/x`) resolves, now, to the current incarnation of that
   * address in the membership; the ref keeps that incarnation (a node restarted at the
   * same address later is another node: resolve again to reach it).
   * @throws NoLiveMemberError when the path has no incarnation and no live member has its address
   */
  refFor<M>(path: string): ActorRef<M> {
    return this.remoting.refFor<M>(withCurrentIncarnation(path, this.selfAddress, this.daemonRef?.gossip.members ?? []));
  }

  /** The path of `/user/<relative>` on the node at `address`. */
  pathOn(address: string, relative: string): string {
    return `${address}/user/${relative.replace(/^\/+/, '')}`;
  }

  /** Messages queued for the node at `address` and not yet written to its socket (the least-outbound-backlog routing logic uses it). */
  outboundBacklog(address: string): number {
    return address === this.selfAddress ? 0 : this.transport.queuedTo(address);
  }

  /** Marks `address` Down by hand (used with `downing: { strategy: 'off' }`, or by operators). */
  down(address: string): void {
    this.daemon.down([address]);
  }

  /**
   * Leaves gracefully: Leaving; then, once every exit task has settled (shard regions
   * handing their shards off), Exiting → Removed; then shuts the actor system down.
   * Resolves when done.
   */
  async leave(): Promise<void> {
    if (this.shutdownReason !== undefined) return;
    if (this.selfMember === undefined) {
      await this.stop('shutdown');
      return;
    }
    this.leaving ??= this.leaveAfterExitTasks();
    await this.leaving;
  }

  /**
   * Registers work that must finish before this node, once Leaving, moves on to Exiting
   * (e.g. sharding's handoffs). `task` runs when the node starts leaving and must settle
   * within its own bound; a rejection is logged and does not stop the leave. Returns the
   * unregister function.
   */
  addExitTask(task: () => Promise<void>): () => void {
    if (typeof task !== 'function') throw new TypeError('Cluster.addExitTask: task must be a function returning a Promise');
    this.exitTasks.add(task);
    return () => {
      this.exitTasks.delete(task);
    };
  }

  /**
   * @internal for sharding: what other nodes send to this node's actor at `relativePath`
   * (e.g. `/user/troupe-sharding-cart`) or below it goes to the ref `inlet` gives for the
   * path below, which passes it on or delivers it a shorter way. Returns the undo.
   */
  receiveInboundVia(relativePath: string, inlet: (below: string) => ActorRef<unknown> | undefined): () => void {
    return this.remoting.setInlet(relativePath, inlet);
  }

  /** Stops at once without leaving (peers will notice through the failure detector). */
  async shutdown(): Promise<void> {
    await this.stop('shutdown');
  }

  /**
   * `shutdown()`, for `await using cluster = await Cluster.start(...)`: the node stops
   * (without leaving) when the block ends, by a throw too. Harmless after `shutdown()`
   * or `leave()`.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  private get daemon(): ClusterDaemon {
    if (this.daemonRef === undefined) throw new ClusterShutDownError('unknown', 'use a cluster that did not start');
    return this.daemonRef;
  }

  private async leaveAfterExitTasks(): Promise<void> {
    // Leaving first: the regions see it (synchronously, from the membership change) before the tasks ask them.
    this.daemon.leave();
    const outcomes = await Promise.allSettled([...this.exitTasks].map(async (task) => task()));
    for (const outcome of outcomes) if (outcome.status === 'rejected') this.system.log.warn('an exit task failed; leaving anyway', { error: outcome.reason });
    this.daemonRef?.exit();
    await this.whenTerminated;
  }

  private gossipChanged(_before: Gossip, after: Gossip, events: readonly MemberEvent[]): void {
    for (const event of events) this.publish(event);
    const role = this.settings.hashRing.role;
    const upNodes = after.members.filter((m) => m.status === 'up' && (role === undefined || m.roles.includes(role))).map((m) => m.address);
    const current = this.currentRing.nodes;
    if (upNodes.length !== current.length || upNodes.some((node) => !current.includes(node))) {
      const ring = ClusterHashRing.of(after.members, this.settings.hashRing);
      this.currentRing = ring;
      this.publish({ type: 'ring-changed', ring });
    }
    if (memberOf(after, this.selfAddress)?.status === 'up') this.resolveUp();
  }

  private publish(event: ClusterEvent | RingChanged): void {
    for (const listener of this.listeners) this.emit(listener, event);
    if (this.system.eventStream.hasSubscribers('cluster')) this.system.eventStream.publish('cluster', event);
  }

  private emit(listener: ClusterListener, event: ClusterEvent | RingChanged): void {
    try {
      listener(event);
    } catch (error) {
      this.system.log.error('cluster event listener threw', { error });
    }
  }

  private stop(reason: ShutdownReason): Promise<void> {
    if (this.shuttingDown !== undefined) return this.shuttingDown;
    this.shutdownReason = reason;
    this.rejectUp(new ClusterShutDownError(this.selfAddress, `become Up (${reason})`));
    this.daemonRef?.stop();
    this.shuttingDown = (async () => {
      await this.transport.close();
      await this.system.terminate();
      this.resolveTerminated(reason);
    })();
    return this.shuttingDown;
  }
}
