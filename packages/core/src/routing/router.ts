import { Actor } from '../actor.js';
import type { ActorContext } from '../actor-context.js';
import { ActorRef } from '../actor-ref.js';
import { type ActorSystem, internalsOf } from '../actor-system.js';
import type { DeadLetterReason } from '../dead-letter.js';
import type { ActorCell } from '../internal/actor-cell.js';
import { cellOf } from '../internal/instance-context.js';
import { LocalActorRef } from '../internal/local-actor-ref.js';
import type { MailboxOptions } from '../mailbox/mailbox.js';
import type { SpawnOptions } from '../spawn-options.js';
import { SupervisorStrategy } from '../supervision/supervisor-strategy.js';
import { BalancingRoutingLogic } from './balancing-routing-logic.js';
import { Resizer, type ResizerOptions } from './resizer.js';
import { RoundRobinRoutingLogic } from './round-robin-routing-logic.js';
import type { RouterContext, RoutingLogic } from './routing-logic.js';

/** A router whose routees are its own children, created from one factory and supervised by it. */
export interface PoolRouterConfig<M> {
  readonly kind: 'pool';
  readonly size: number;
  readonly routee: () => Actor<M>;
  readonly logic: RoutingLogic<M>;
  readonly resizer: Resizer | undefined;
  readonly supervision: SupervisorStrategy;
  readonly routeeMailbox: MailboxOptions | undefined;
}

/** A router over refs that exist already (local or remote); it watches them but does not own them. */
export interface GroupRouterConfig<M> {
  readonly kind: 'group';
  readonly routees: readonly ActorRef<M>[];
  readonly logic: RoutingLogic<M>;
}

/** Either kind of router configuration. */
export type RouterConfig<M> = PoolRouterConfig<M> | GroupRouterConfig<M>;

/** Options of `Routers.pool`. */
export interface PoolOptions<M> {
  /** Routees created at start (the resizer may change it later). */
  readonly size: number;
  /** Builds one routee. */
  readonly routee: () => Actor<M>;
  /** Where each message goes. One logic instance per router. @default round-robin */
  readonly logic?: RoutingLogic<M>;
  /** Grow and shrink the pool with load. @default no resizing */
  readonly resizer?: ResizerOptions;
  /** How routee failures are handled. @default SupervisorStrategy.default (restart) */
  readonly supervision?: SupervisorStrategy;
  /** Mailbox of each routee (of the shared queue for a balancing pool). @default unbounded */
  readonly mailbox?: MailboxOptions;
}

/** Builders of router configurations; spawn them with `spawnRouter`. */
export const Routers = {
  /** A pool of `size` routees built by `routee`, routed by `logic` (round-robin by default). */
  pool<M>(options: PoolOptions<M>): PoolRouterConfig<M> {
    if (options === null || typeof options !== 'object') throw new TypeError('Routers.pool: options must be an object');
    if (!(Number.isInteger(options.size) && options.size >= 0)) throw new RangeError(`Routers.pool: size must be an integer >= 0, got ${String(options.size)}`);
    if (typeof options.routee !== 'function') throw new TypeError('Routers.pool: routee must be a function returning an Actor');
    if (options.supervision !== undefined && !(options.supervision instanceof SupervisorStrategy)) throw new TypeError('Routers.pool: supervision must be a SupervisorStrategy');
    return {
      kind: 'pool',
      size: options.size,
      routee: options.routee,
      logic: checkLogic(options.logic ?? new RoundRobinRoutingLogic<M>(), 'Routers.pool'),
      resizer: options.resizer === undefined ? undefined : new Resizer(options.resizer),
      supervision: options.supervision ?? SupervisorStrategy.default,
      routeeMailbox: options.mailbox,
    };
  },

  /** A pool whose routees share one queue: an idle routee takes the next message, a busy one gets none. */
  balancingPool<M>(options: Omit<PoolOptions<M>, 'logic' | 'resizer'>): PoolRouterConfig<M> {
    return Routers.pool({ ...options, logic: new BalancingRoutingLogic<M>(options.mailbox) });
  },

  /** A router over existing refs (local or remote), routed by `logic` (round-robin by default). */
  group<M>(options: { readonly routees: readonly ActorRef<M>[]; readonly logic?: RoutingLogic<M> }): GroupRouterConfig<M> {
    if (options === null || typeof options !== 'object' || !Array.isArray(options.routees)) throw new TypeError('Routers.group: routees must be an array of ActorRef');
    for (const [index, routee] of options.routees.entries()) {
      if (!(routee instanceof ActorRef)) throw new TypeError(`Routers.group: routees[${index}] is not an ActorRef`);
    }
    return { kind: 'group', routees: [...options.routees], logic: checkLogic(options.logic ?? new RoundRobinRoutingLogic<M>(), 'Routers.group') };
  },
};

function checkLogic<M>(logic: RoutingLogic<M>, where: string): RoutingLogic<M> {
  if (logic === null || typeof logic !== 'object' || typeof logic.route !== 'function') throw new TypeError(`${where}: logic must be a RoutingLogic (see RoutingLogics)`);
  return logic;
}

/**
 * Spawns a router as a child of `parent` (a system or an actor's context). Messages
 * told to the returned ref are routed on the sender's turn, straight to a routee's
 * mailbox; the router actor itself only manages routees. Routees that stop are
 * removed; with none left, messages go to dead letters (`no-routees`).
 */
export function spawnRouter<M>(parent: ActorSystem | ActorContext<never>, config: RouterConfig<M>, options: Pick<SpawnOptions, 'name'> = {}): ActorRef<M> {
  const parentCell = 'terminate' in parent ? (internalsOf(parent).guardian as unknown as ActorCell<unknown>) : (cellOf(parent) as unknown as ActorCell<unknown>);
  const state = new RouterState<M>(config.logic, config.kind === 'pool' ? config.resizer : undefined);
  // The router's own ref routes: whoever finds it by path (remote senders, watchers)
  // gets routing, not the management actor behind it.
  const makeRef = (routerCell: ActorCell<never>) => new RouterRef<M>(routerCell as unknown as ActorCell<RouterCommand>, state) as unknown as LocalActorRef<never>;
  const cell = parentCell.spawnCell<RouterCommand>(() => new RouterActor(config, state), { ...options, makeRef });
  state.attach(cell);
  // Routees exist before the first tell, so nothing sent right after spawning is lost.
  state.setRoutees(config.kind === 'group' ? config.routees : createPoolRoutees(cell, config, config.size, []));
  return cell.ref as unknown as ActorRef<M>;
}

/** The routees a router currently sends to (a snapshot), or undefined if `ref` is not a router. */
export function routeesOf<M>(ref: ActorRef<M>): readonly ActorRef<M>[] | undefined {
  return ref instanceof RouterRef ? (ref.state.routees as readonly ActorRef<M>[]) : undefined;
}

type RouterCommand = { readonly type: 'resize' };
const RESIZE: RouterCommand = Object.freeze({ type: 'resize' });

/** What the router's ref and its actor share: the current routees. */
class RouterState<M> implements RouterContext {
  routees: readonly ActorRef<M>[] = [];
  private cell: ActorCell<RouterCommand> | undefined;
  private sinceResize = 0;
  private resizePending = false;

  constructor(
    readonly logic: RoutingLogic<M>,
    private readonly resizer: Resizer | undefined,
  ) {}

  attach(cell: ActorCell<RouterCommand>): void {
    this.cell = cell;
  }

  get system(): ActorSystem {
    return (this.cell as ActorCell<RouterCommand>).system;
  }

  get path(): string {
    return (this.cell as ActorCell<RouterCommand>).path;
  }

  setRoutees(routees: readonly ActorRef<M>[]): void {
    this.routees = routees;
    this.logic.routeesChanged?.(routees);
  }

  route(message: M): void {
    const routees = this.routees;
    if (routees.length === 0) this.deadLetter(message, 'no-routees');
    else this.logic.route(message, routees, this);
    if (this.resizer !== undefined && ++this.sinceResize >= this.resizer.messagesPerResize && !this.resizePending) {
      this.sinceResize = 0;
      this.resizePending = true;
      this.cell?.tell(RESIZE);
    }
  }

  resized(): void {
    this.resizePending = false;
  }

  deadLetter(message: unknown, reason: DeadLetterReason): void {
    (this.cell as ActorCell<RouterCommand>).runtime.deadLetter(message, this.path, reason);
  }
}

/** The router's ref: routes on `tell`; system messages (stop, watch) reach the router actor. */
class RouterRef<M> extends LocalActorRef<M> {
  constructor(
    routerCell: ActorCell<RouterCommand>,
    readonly state: RouterState<M>,
  ) {
    super(routerCell as unknown as ActorCell<M>);
  }

  override tell(message: M): void {
    if (this.cell.isTerminated) this.state.deadLetter(message, 'recipient-stopped');
    else this.state.route(message);
  }
}

/** Spawns `count` pool routees as children of the router's cell, after `existing`. */
function createPoolRoutees<M>(cell: ActorCell<RouterCommand>, config: PoolRouterConfig<M>, count: number, existing: readonly ActorRef<M>[]): ActorRef<M>[] {
  const shared = config.logic instanceof BalancingRoutingLogic ? config.logic.wiring : undefined;
  const options = shared !== undefined ? { shared } : config.routeeMailbox !== undefined ? { mailbox: config.routeeMailbox } : undefined;
  const routees = [...existing];
  for (let i = 0; i < count; i++) routees.push(cell.spawnCell(config.routee, options).ref);
  return routees;
}

/** Manages routees: watches every routee, replaces pool routees after a restart, resizes. */
class RouterActor<M> extends Actor<RouterCommand> {
  constructor(
    private readonly config: RouterConfig<M>,
    private readonly state: RouterState<M>,
  ) {
    super();
  }

  override preStart(): void {
    for (const routee of this.state.routees) this.context.watch(routee as ActorRef<never>);
  }

  /** Stops the routees but keeps the balancing pool's queued work and the routee list until new routees exist. */
  override preRestart(): void {
    for (const child of this.context.children) this.context.stop(child);
  }

  override postRestart(): void {
    // The failed instance's preRestart stopped the pool's routees: build new ones.
    if (this.config.kind === 'pool') this.state.setRoutees(this.createRoutees(this.config.size, []));
    this.preStart();
  }

  receive(command: RouterCommand): void {
    if (command.type === 'resize') this.resize();
  }

  override onTerminated(ref: ActorRef<never>): void {
    this.state.setRoutees(this.state.routees.filter((routee) => routee.path !== ref.path));
  }

  override postStop(): void {
    this.state.setRoutees([]);
    const logic = this.state.logic;
    if (logic instanceof BalancingRoutingLogic) logic.drain((message) => this.state.deadLetter(message, 'recipient-stopped'));
  }

  override supervisorStrategy(): SupervisorStrategy {
    return this.config.kind === 'pool' ? this.config.supervision : SupervisorStrategy.default;
  }

  private createRoutees(count: number, existing: readonly ActorRef<M>[]): ActorRef<M>[] {
    const routees = createPoolRoutees(cellOf(this.context), this.config as PoolRouterConfig<M>, count, existing);
    for (const routee of routees.slice(existing.length)) this.context.watch(routee as ActorRef<never>);
    return routees;
  }

  private resize(): void {
    this.state.resized();
    if (this.config.kind !== 'pool' || this.config.resizer === undefined) return;
    const routees = this.state.routees;
    let busy = 0;
    for (const routee of routees) {
      const cell = (routee as unknown as { cell?: ActorCell<unknown> }).cell;
      if (cell !== undefined && (cell.isBusy || cell.mailboxSize > 0)) busy++;
    }
    const change = this.config.resizer.capacityChange(routees.length, busy);
    if (change > 0) this.state.setRoutees(this.createRoutees(change, routees));
    else if (change < 0) {
      const removed = routees.slice(routees.length + change);
      this.state.setRoutees(routees.slice(0, routees.length + change));
      for (const routee of removed) {
        this.context.unwatch(routee as ActorRef<never>);
        this.context.stop(routee as ActorRef<never>);
      }
    }
  }
}
