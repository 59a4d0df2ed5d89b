import type { Actor } from './actor.js';
import type { ActorRef } from './actor-ref.js';

/**
 * The message type of an actor class, an actor, an actor factory or a ref, derived so
 * callers need not restate it (`never` for anything else).
 * @example
 * class Counter extends Actor<CounterMsg> { … }
 * type M = MessageOf<typeof Counter>; // CounterMsg
 * const ref: ActorRef<MessageOf<Counter>> = system.spawn(() => new Counter());
 */
export type MessageOf<T> =
  T extends ActorRef<infer M> ? M : T extends Actor<infer M> ? M : T extends abstract new (...args: never[]) => Actor<infer M> ? M : T extends (...args: never[]) => Actor<infer M> ? M : never;

/**
 * The reply type of a message (or of each member of a message union): `R` where the
 * message has `replyTo: ActorRef<R>`, `never` where it has no `replyTo`.
 * @example type N = ReplyOf<{ type: 'get'; replyTo: ActorRef<number> }>; // number
 */
export type ReplyOf<M> = M extends { readonly replyTo: ActorRef<infer R> } ? R : never;

/** The members of the message union `M` that carry a `replyTo` field: the ones `ask` can infer a reply type for. */
export type RepliedMessage<M> = Extract<M, { readonly replyTo: unknown }>;

/**
 * The reply type of the members of `M` that a built message `B` can be: what `ask`
 * resolves to when the builder returns `B`. `any` for `M` of `never`, `unknown` or `any`, where no
 * `ask` can be built: that keeps `ActorRef` contravariant in `M` for subclasses of it
 * (a `RemoteActorRef<X>` still converts to `ActorRef<never>`).
 */
// `any` on purpose: an unknown message type must leave `ask` as permissive as before (see above).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ReplyToBuilt<M, B> = 0 extends 1 & M ? any : [M] extends [never] ? any : unknown extends M ? any : ReplyOf<M extends unknown ? (B extends M ? M : never) : never>;
