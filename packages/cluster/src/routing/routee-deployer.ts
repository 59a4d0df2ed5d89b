import { Actor, type ActorRef } from '@troupe/core';
import { resolveLocalRef } from '@troupe/core/spi';
import type { Cluster } from '../cluster.js';

/** Name of the deployer actor every node that hosts pool routees runs, below `/user`. */
export const DEPLOYER_NAME = 'troupe-routee-deployer';

/** What a pool router asks a node's deployer. */
export type DeployerCommand =
  { readonly type: 'deploy'; readonly routee: string; readonly pool: string; readonly count: number; readonly replyTo: ActorRef<DeployerReply> } | { readonly type: 'undeploy'; readonly pool: string };

/** The deployer's answer: the routees it started (none if the routee name is unknown here). */
export type DeployerReply = { readonly type: 'deployed'; readonly routees: readonly ActorRef<unknown>[]; readonly error?: string };

const factories = new WeakMap<Cluster, Map<string, () => Actor<unknown>>>();

/** Starts routees for pool routers of other nodes, from factories registered by name on this node. */
class RouteeDeployer extends Actor<DeployerCommand> {
  constructor(private readonly registry: Map<string, () => Actor<unknown>>) {
    super();
  }

  receive(command: DeployerCommand): void {
    if (command.type === 'undeploy') {
      for (const child of this.context.children) if (child.path.split('/').pop()?.startsWith(`${command.pool}-`) === true) this.context.stop(child);
      return;
    }
    const factory = this.registry.get(command.routee);
    if (factory === undefined) {
      command.replyTo.tell({ type: 'deployed', routees: [], error: `no routee "${command.routee}" registered on ${this.context.system.address}` });
      return;
    }
    const routees: ActorRef<unknown>[] = [];
    const count = Math.max(0, Math.min(1000, Math.floor(command.count)));
    for (let i = 0; i < count; i++) {
      const name = `${command.pool}-${i}`;
      const existing = this.context.children.find((c) => c.path.endsWith(`/${name}`));
      routees.push((existing as ActorRef<unknown> | undefined) ?? this.context.spawn(factory, { name }));
    }
    command.replyTo.tell({ type: 'deployed', routees });
  }
}

/**
 * Lets pool routers on any node start routees of kind `name` on this node. Call it on
 * every node that should host them (an actor factory cannot travel between
 * processes, so each node registers the factories it offers).
 */
export function registerPoolRoutee<M>(cluster: Cluster, name: string, factory: () => Actor<M>): void {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(name)) throw new TypeError('registerPoolRoutee: name must be letters, digits, - or _');
  if (typeof factory !== 'function') throw new TypeError('registerPoolRoutee: factory must be a function returning an Actor');
  let registry = factories.get(cluster);
  if (registry === undefined) {
    registry = new Map();
    factories.set(cluster, registry);
  }
  registry.set(name, factory as () => Actor<unknown>);
  if (resolveLocalRef(cluster.system, `${cluster.selfAddress}/user/${DEPLOYER_NAME}`) === undefined) {
    const shared = registry;
    cluster.system.spawn(() => new RouteeDeployer(shared), { name: DEPLOYER_NAME });
  }
}
