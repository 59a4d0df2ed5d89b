import type { ActorRef } from '../actor-ref.js';

/**
 * Messages the runtime sends to an actor's cell. They are processed before any user
 * message and are never seen by `receive`. The cluster package carries `watch`,
 * `unwatch` and `death-watch-notification` across nodes, so refs here may be remote.
 */
export type SystemMessage =
  | { readonly kind: 'stop' }
  | { readonly kind: 'watch'; readonly watcher: ActorRef<never> }
  | { readonly kind: 'unwatch'; readonly watcher: ActorRef<never> }
  /** Sent to a watcher: `ref` has terminated. */
  | { readonly kind: 'death-watch-notification'; readonly ref: ActorRef<never> }
  | { readonly kind: 'child-failed'; readonly child: ActorRef<never>; readonly error: unknown }
  | { readonly kind: 'child-terminated'; readonly child: ActorRef<never> }
  | { readonly kind: 'resume' }
  | { readonly kind: 'restart'; readonly error: unknown };

export const STOP: SystemMessage = Object.freeze({ kind: 'stop' });
export const RESUME: SystemMessage = Object.freeze({ kind: 'resume' });
