import { ActorRef } from '@troupe/core';
import { resolveLocalRef } from '@troupe/core/spi';
import type { Cluster } from '../cluster.js';
import { RemoteActorRef } from '../remote/remote-actor-ref.js';
import type { Listing } from './listing.js';
import { ReceptionistActor } from './receptionist-actor.js';
import { InvalidServiceKeyError, NonLocalRegistrantError, RegistrantStoppedError } from './receptionist-errors.js';
import { RECEPTIONIST_NAME, type ReceptionistMessage, type Subscription } from './receptionist-protocol.js';
import { type ReceptionistOptions, type ReceptionistSettings, resolveReceptionistSettings } from './receptionist-settings.js';
import { ServiceKey } from './service-key.js';

const instances = new WeakMap<Cluster, Receptionist>();
const MEMBER_EVENTS: ReadonlySet<string> = new Set(['member-joined', 'member-up', 'member-left', 'member-exited', 'member-downed', 'member-removed']);
const USER = '/user/';

/** Options of `Receptionist.find`. */
export interface FindOptions {
  /** Milliseconds until the Promise rejects with `AskTimeoutError` (the answer is local: only a stalled node takes long). @default the system's `askTimeoutMs` */
  readonly timeoutMs?: number;
}

/**
 * Cluster-wide discovery of actors by service key, as Akka's receptionist: register an
 * actor of this node under a `ServiceKey`, and every node finds it, or is told when the
 * set of actors under a key changes. Each node owns its registrations and replicates them
 * to every member; there is no coordinator. Eventually consistent: see the package
 * README, "Receptionist", for the design and the measured propagation time.
 *
 * @example
 * const Workers = ServiceKey.of<WorkMsg>('workers');
 * const receptionist = Receptionist.get(cluster);
 * receptionist.register(Workers, cluster.system.spawn(() => new Worker()));
 * const stop = receptionist.subscribe(Workers, (listing) => console.log(listing.refs.length));
 */
export class Receptionist {
  private constructor(
    private readonly cluster: Cluster,
    private readonly actor: ActorRef<ReceptionistMessage>,
    /** The settings this receptionist runs with. */
    readonly settings: ReceptionistSettings,
  ) {}

  /**
   * The receptionist of `cluster`'s node, started (as `/user/troupe-receptionist`) on the
   * first call. Call it on every node that registers, finds or subscribes: a node's
   * registrations reach only the nodes whose receptionist runs.
   * @throws RangeError naming a bad option; TypeError when options are given to a receptionist already started with others
   */
  static get(cluster: Cluster, options?: ReceptionistOptions): Receptionist {
    const existing = instances.get(cluster);
    if (existing !== undefined) {
      if (options !== undefined && resolveReceptionistSettings(options).syncIntervalMs !== existing.settings.syncIntervalMs)
        throw new TypeError('Receptionist.get: this node’s receptionist already runs with other options; pass options on the first call only');
      return existing;
    }
    const settings = resolveReceptionistSettings(options);
    const system = cluster.system;
    const peers = new Map<string, ActorRef<ReceptionistMessage>>();
    const actor = system.spawn(
      () =>
        new ReceptionistActor(settings, {
          selfAddress: cluster.selfAddress,
          members: () => cluster.state.members,
          peerOn: (node) => {
            let peer = peers.get(node);
            if (peer === undefined) {
              if (peers.size >= 10_000) peers.clear();
              peer = cluster.refFor<ReceptionistMessage>(cluster.pathOn(node, RECEPTIONIST_NAME));
              peers.set(node, peer);
            }
            return peer;
          },
          remoteRef: (path) => cluster.refFor(path),
        }),
      { name: RECEPTIONIST_NAME },
    );
    cluster.subscribe(
      (event) => {
        if (MEMBER_EVENTS.has(event.type)) actor.tell({ t: 'rc-members', members: cluster.state.members });
      },
      { initialState: false },
    );
    const receptionist = new Receptionist(cluster, actor, settings);
    instances.set(cluster, receptionist);
    return receptionist;
  }

  /**
   * Registers `ref`, an actor of this node, under `key`: it appears in every node's
   * listing of the key, until it is deregistered, stops, or this node leaves the
   * membership. Registering it twice keeps one registration.
   * @throws InvalidServiceKeyError when `key` is not a ServiceKey
   * @throws NonLocalRegistrantError when `ref` is an actor of another node or system
   * @throws RegistrantStoppedError when `ref`'s actor has stopped
   */
  register<M>(key: ServiceKey<M>, ref: ActorRef<M>): void {
    this.checkKey(key);
    this.checkLocal(ref as ActorRef<unknown>, 'register');
    if (this.hasStopped(ref as ActorRef<unknown>)) throw new RegistrantStoppedError(ref.path);
    this.actor.tell({ t: 'rc-register', key: key.name, ref: ref as ActorRef<unknown> });
  }

  /**
   * Withdraws `ref`'s registration under `key` everywhere. Harmless when it is not registered.
   * @throws InvalidServiceKeyError when `key` is not a ServiceKey
   * @throws NonLocalRegistrantError when `ref` is an actor of another node or system
   */
  deregister<M>(key: ServiceKey<M>, ref: ActorRef<M>): void {
    this.checkKey(key);
    this.checkLocal(ref as ActorRef<unknown>, 'deregister');
    this.actor.tell({ t: 'rc-deregister', key: key.name, ref: ref as ActorRef<unknown> });
  }

  /**
   * The actors registered under `key` as this node knows them now (registrations made on
   * this node before the call included; other nodes' as far as they have arrived).
   * @throws InvalidServiceKeyError when `key` is not a ServiceKey
   */
  find<M>(key: ServiceKey<M>, options: FindOptions = {}): Promise<Listing<M>> {
    this.checkKey(key);
    return this.actor.ask<Listing<M>>((replyTo) => ({ t: 'rc-find', key: key.name, replyTo: replyTo as ActorRef<Listing<unknown>> }), options);
  }

  /**
   * Sends `subscriber` the listing of `key` now, and again after every change of it
   * (in the order the changes happened on this node). A function is called on the
   * receptionist's turn (what it throws is logged, and it keeps its subscription); an actor is
   * told the listing, and its subscription ends when it stops. Returns the unsubscribe
   * function: after it returns, the function is not called again.
   * @throws InvalidServiceKeyError when `key` is not a ServiceKey
   * @throws TypeError when `subscriber` is neither a function nor an ActorRef
   */
  subscribe<M>(key: ServiceKey<M>, subscriber: ((listing: Listing<M>) => void) | ActorRef<Listing<M>>): () => void {
    this.checkKey(key);
    if (typeof subscriber !== 'function' && !(subscriber instanceof ActorRef)) throw new TypeError('Receptionist.subscribe: subscriber must be a function or an ActorRef');
    const subscription: Subscription = { key: key.name, target: subscriber as Subscription['target'], active: true };
    this.actor.tell({ t: 'rc-subscribe', subscription });
    return () => {
      if (!subscription.active) return;
      subscription.active = false;
      this.actor.tell({ t: 'rc-unsubscribe', subscription });
    };
  }

  private checkKey(key: ServiceKey<unknown>): void {
    if (!(key instanceof ServiceKey)) throw new InvalidServiceKeyError(key);
  }

  private checkLocal(ref: ActorRef<unknown>, what: string): void {
    if (!(ref instanceof ActorRef)) throw new TypeError(`Receptionist.${what}: ref must be an ActorRef`);
    if (ref instanceof RemoteActorRef || ref.system !== this.cluster.system || !ref.path.startsWith(`${this.cluster.selfAddress}/`))
      throw new NonLocalRegistrantError(ref.path, this.cluster.selfAddress);
  }

  /** Known to have stopped now: its system terminated, or (for an actor of the tree) no live actor has its path or it is another one. Others are found out by watching. */
  private hasStopped(ref: ActorRef<unknown>): boolean {
    const system = this.cluster.system;
    if (system.isTerminated) return true;
    if (!ref.path.startsWith(USER, this.cluster.selfAddress.length)) return false;
    return resolveLocalRef(system, ref.path) !== ref;
  }
}
