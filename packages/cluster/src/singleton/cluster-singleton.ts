import { type ActorRef, AskTimeoutError } from '@troupe/core';
import type { Cluster } from '../cluster.js';
import { oldestUpMember } from './member-age.js';
import { SingletonAlreadyInitializedError, SingletonNotInitializedError } from './singleton-errors.js';
import { SINGLETON_TOPIC, type SingletonEvent, type SingletonLocation } from './singleton-events.js';
import { SingletonManager } from './singleton-manager.js';
import { ManagerRefs } from './manager-refs.js';
import { type HandedOverHere, type ManagerMessage, managerName, proxyName } from './singleton-protocol.js';
import { SingletonProxy, proxyMembersMessage } from './singleton-proxy.js';
import { type SingletonOptions, type SingletonSettings, resolveSingletonSettings } from './singleton-settings.js';

const instances = new WeakMap<Cluster, ClusterSingleton>();

interface Registered {
  readonly settings: SingletonSettings<unknown>;
  readonly proxy: ActorRef<unknown>;
  readonly manager: ActorRef<ManagerMessage> | undefined;
  readonly managerRefs: ManagerRefs;
}

/** Beyond `stopTimeoutMs`, how long a leaving node waits for its singletons to hand over: the forced stop's Terminated, the answer, and a loaded event loop. */
const EXIT_SLACK_MS = 5000;

/**
 * Cluster singletons on one node: `init` on every node gives a proxy ref that reaches
 * the one instance of the singleton, which runs on the oldest Up member with its role,
 * moves by a hand-over when that member leaves, and by a takeover when it is downed.
 * See the package README, "Cluster singleton".
 *
 * @example
 * const scheduler = ClusterSingleton.get(cluster).init<SchedulerMsg>({ name: 'scheduler', create: () => new Scheduler() });
 * scheduler.tell({ type: 'schedule', job: 'nightly' });   // from any node
 */
export class ClusterSingleton {
  private readonly singletons = new Map<string, Registered>();
  private unsubscribe: (() => void) | undefined;
  private removeExitTask: (() => void) | undefined;

  private constructor(private readonly cluster: Cluster) {}

  /** The singleton extension of `cluster` (one per cluster node). */
  static get(cluster: Cluster): ClusterSingleton {
    let singleton = instances.get(cluster);
    if (singleton === undefined) {
      singleton = new ClusterSingleton(cluster);
      instances.set(cluster, singleton);
    }
    return singleton;
  }

  /**
   * Registers singleton `options.name` on this node: starts its manager when this node has
   * the role (it hosts the instance while this node is the oldest such member) and its
   * proxy, and returns the proxy, usable at once from this node. Call it on every node
   * with the same name and role.
   * @throws SingletonOptionError naming a bad option; SingletonAlreadyInitializedError when the name is taken on this node
   */
  init<M>(options: SingletonOptions<M>): ActorRef<M> {
    const settings = resolveSingletonSettings(options, this.cluster.settings.stableAfterMs) as SingletonSettings<unknown>;
    if (this.singletons.has(settings.name)) throw new SingletonAlreadyInitializedError(settings.name);
    const { cluster } = this;
    const system = cluster.system;
    const managerRefs = new ManagerRefs((node) => cluster.refFor<ManagerMessage>(cluster.pathOn(node, managerName(settings.name))));
    const managerOn = (node: string): ActorRef<ManagerMessage> => managerRefs.get(node);
    const hosts = settings.role === undefined || cluster.settings.roles.includes(settings.role);
    const manager = hosts
      ? system.spawn(
          () =>
            new SingletonManager(settings, {
              selfAddress: cluster.selfAddress,
              managerOn,
              publish: (event: SingletonEvent) => {
                if (system.eventStream.hasSubscribers(SINGLETON_TOPIC)) system.eventStream.publish(SINGLETON_TOPIC, event);
              },
            }),
          { name: managerName(settings.name) },
        )
      : undefined;
    const members = cluster.state.members;
    manager?.tell({ t: 'sg-members', members });
    const proxy = system.spawn(() => new SingletonProxy(settings.role, settings.bufferSize, { managerOn }, members), { name: proxyName(settings.name) });
    this.singletons.set(settings.name, { settings, proxy, manager, managerRefs });
    this.removeExitTask ??= cluster.addExitTask(() => this.whenHandedOver());
    this.unsubscribe ??= cluster.subscribe(
      (event) => {
        if (event.type === 'ring-changed' || event.type === 'leader-changed') return;
        const now = cluster.state.members;
        for (const registered of this.singletons.values()) {
          registered.manager?.tell({ t: 'sg-members', members: now });
          registered.proxy.tell(proxyMembersMessage(now));
          registered.managerRefs.retain(now);
        }
      },
      { initialState: false },
    );
    return proxy as ActorRef<M>;
  }

  /**
   * The exit task of a leaving node: resolves once every singleton hosted here has
   * stopped its instance and handed over, so the node stays Leaving (and its successor
   * gets the answer) instead of being removed while its instance still runs, which
   * would leave the successor only the removal margin. Bounded per singleton by
   * `stopTimeoutMs` plus a slack; past it, the leave goes on with a warning.
   */
  private async whenHandedOver(): Promise<void> {
    const log = this.cluster.system.log;
    await Promise.all(
      [...this.singletons.values()].map(async ({ settings, manager }) => {
        if (manager === undefined) return;
        const timeoutMs = settings.stopTimeoutMs + settings.handOverRetryIntervalMs + EXIT_SLACK_MS;
        try {
          await manager.ask<HandedOverHere>((replyTo) => ({ t: 'sg-when-handed-over', replyTo }), { timeoutMs });
        } catch (error) {
          if (!(error instanceof AskTimeoutError)) throw error;
          log.warn(
            `singleton "${settings.name}": this node's instance did not stop and hand over within ${timeoutMs} ms of leaving; leaving anyway, and the new oldest takes over ${settings.downRemovalMarginMs} ms after it sees this node removed`,
          );
        }
      }),
    );
  }

  /**
   * Where singleton `name` is: asked of the manager on the oldest Up member with its role
   * (in this node's view). `node` is undefined when there is no such member.
   * @throws SingletonNotInitializedError when `init` was not called for `name` here; rejects with an `AskTimeoutError` when that manager does not answer in time
   */
  async locate(name: string, timeoutMs = 5000): Promise<SingletonLocation> {
    const registered = this.singletons.get(name);
    if (registered === undefined) throw new SingletonNotInitializedError(name);
    const oldest = oldestUpMember(this.cluster.state.members, registered.settings.role);
    if (oldest === undefined) return { name, node: undefined, running: false, epoch: undefined, buffered: 0 };
    const manager = this.cluster.refFor<ManagerMessage>(this.cluster.pathOn(oldest.address, managerName(name)));
    return manager.ask<SingletonLocation>((replyTo) => ({ t: 'sg-where', replyTo }), { timeoutMs });
  }

  /** The proxy of singleton `name` on this node (the ref `init` returned). @throws SingletonNotInitializedError when `init` was not called for `name` here */
  proxyOf<M>(name: string): ActorRef<M> {
    const registered = this.singletons.get(name);
    if (registered === undefined) throw new SingletonNotInitializedError(name);
    return registered.proxy as ActorRef<M>;
  }
}
