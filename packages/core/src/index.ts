export { Actor } from './actor.js';
export type { ActorContext, ChildSpawner, Stash, Stopper, Watcher } from './actor-context.js';
export { ActorRef, type AskOptions, REF_JSON_KEY, type RefJson } from './actor-ref.js';
export { ActorSystem, type ActorSystemOptions, type ActorSystemSettings, type SystemEvents } from './actor-system.js';
export { type Cancellable, type Clock, SystemClock } from './clock.js';
export type { DeadLetter, DeadLetterReason } from './dead-letter.js';
export type { MessageOf, RepliedMessage, ReplyOf, ReplyToBuilt } from './derived-types.js';
export {
  ActorInitializationError,
  ActorNameTakenError,
  AskAbortedError,
  AskTimeoutError,
  EscalatedFailureError,
  MailboxOverflowError,
  StashOverflowError,
  StatusReplyError,
  SystemTerminatedError,
  TroupeError,
  UnsupportedNodeError,
  DuplicateCoreError,
} from './errors.js';
export { EventStream, type EventListener } from './event-stream.js';
export { ConsoleLogger, type LogFields, type Logger, type LogLevel, silentLogger } from './logger.js';
export type { MailboxOptions, OverflowPolicy } from './mailbox/mailbox.js';
export type { BalancingRoutingLogic } from './routing/balancing-routing-logic.js';
export type { BroadcastRoutingLogic } from './routing/broadcast-routing-logic.js';
export type { ConsistentHashingOptions, ConsistentHashingRoutingLogic } from './routing/consistent-hashing-routing-logic.js';
export type { RandomRoutingLogic } from './routing/random-routing-logic.js';
export type { Resizer, ResizerOptions } from './routing/resizer.js';
export type { RoundRobinRoutingLogic } from './routing/round-robin-routing-logic.js';
export { type GroupRouterConfig, type PoolOptions, type PoolRouterConfig, type RouterConfig, Routers, routeesOf, spawnRouter } from './routing/router.js';
export type { RouterContext, RoutingLogic } from './routing/routing-logic.js';
export { RoutingLogics } from './routing/routing-logics.js';
export type { ScatterGatherFirstCompletedRoutingLogic, ScatterGatherOptions } from './routing/scatter-gather-first-completed-routing-logic.js';
export type { SmallestMailboxRoutingLogic } from './routing/smallest-mailbox-routing-logic.js';
export { JsonSerializer } from './serialization/json-serializer.js';
export { SerializationError, SerializationRegistry, type Serialized } from './serialization/serialization-registry.js';
export type { Serializer } from './serialization/serializer.js';
export type { SpawnOptions } from './spawn-options.js';
export { type StatusError, StatusReply } from './status-reply.js';
export type { BackoffOptions, ResolvedBackoff } from './supervision/backoff.js';
export { type BackoffStrategyOptions, type Decider, type Directive, type StrategyOptions, SupervisorStrategy, defaultDecider } from './supervision/supervisor-strategy.js';
export type { TimerScheduler } from './timer-scheduler.js';
export { assertSupportedNode, MIN_NODE_VERSION } from './node-version.js';
