import type { ActorSystem } from './actor-system.js';
import type { RepliedMessage, ReplyToBuilt } from './derived-types.js';
import { refWrittenAsJson } from './internal/ref-json-hooks.js';
import type { SystemMessage } from './internal/system-message.js';

/**
 * The one key of the object a ref is written as in JSON: `{ "$troupe.ref": "<path>" }`.
 * Namespaced so that user data never takes this shape by accident (a plain `$ref` is
 * JSON Schema's and JSON Reference's: a message carrying a schema would have become a ref).
 */
export const REF_JSON_KEY = '$troupe.ref';

/** What a ref is written as in JSON (`ActorRef.toJSON`). */
export interface RefJson {
  readonly [REF_JSON_KEY]: string;
}

/** Options of `ask`. */
export interface AskOptions {
  /** Milliseconds until the Promise rejects with `AskTimeoutError`. @default the system's `askTimeoutMs` (5000) */
  readonly timeoutMs?: number;
  /** Aborting rejects the Promise with `AskAbortedError` and frees the temporary ref. */
  readonly signal?: AbortSignal;
}

/**
 * Symbol of the method that delivers a system message to a ref. Exposed through
 * `@troupe/core/spi` for packages that implement refs (remote refs in the cluster).
 */
export const sendSystemMessage: unique symbol = Symbol('troupe.sendSystemMessage');

/**
 * An address of an actor that accepts messages of type `M`. Refs are cheap, safe to
 * share, and stay valid after the actor stops (messages then go to dead letters).
 * Two refs to the same actor have the same `path`.
 */
export abstract class ActorRef<in M> {
  /** Full path, e.g. `troupe://demo/user/counter`; unique within the system (and cluster). */
  abstract get path(): string;

  /** The system this ref belongs to. */
  abstract get system(): ActorSystem;

  /**
   * Sends `message`, returning at once. At most once: a message that cannot be
   * delivered goes to dead letters with a reason. Messages from one sender to one
   * receiver arrive in the order sent.
   */
  abstract tell(message: M): void;

  /** Delivers a runtime message; see `@troupe/core/spi`. */
  abstract [sendSystemMessage](message: SystemMessage): void;

  /**
   * Request–response: `build` receives a temporary ref and returns the message to
   * send; the Promise settles exactly once with the first reply, an
   * `AskTimeoutError`, or an `AskAbortedError`. The temporary ref is freed in every case.
   *
   * The reply type is inferred from the `replyTo: ActorRef<R>` field of the message
   * `build` returns. Where it cannot be (the ref sits in a nested field), give it:
   * `ask<R>(...)`; without one the call does not compile, rather than resolving to `unknown`.
   * @example const n = await counter.ask((replyTo) => ({ type: 'get', replyTo })); // number
   */
  ask<B extends RepliedMessage<M>>(build: (replyTo: ActorRef<unknown>) => B, options?: AskOptions): Promise<ReplyToBuilt<M, B>>;
  /** Request–response with an explicit reply type `R`; see the overload above. */
  ask<R = never>(build: (replyTo: ActorRef<R>) => M, options?: AskOptions): Promise<R>;
  ask<R>(build: (replyTo: ActorRef<R>) => M, options?: AskOptions): Promise<R> {
    return this.system.ask<M, R>(this, build, options);
  }

  toString(): string {
    return `ActorRef(${this.path})`;
  }

  /**
   * A ref written as JSON (by `JSON.stringify`, e.g. inside a message for the JSON
   * serializer) is `{ "$troupe.ref": path }` (`REF_JSON_KEY`), which the cluster reads
   * back as a working ref.
   */
  toJSON(): RefJson {
    refWrittenAsJson(this as ActorRef<unknown>);
    return { [REF_JSON_KEY]: this.path };
  }
}
