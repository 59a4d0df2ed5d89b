import type { ActorRef } from './actor-ref.js';
import { Signal } from './internal/signal.js';

/**
 * Delivered to `Actor.onTerminated` of a watcher when a watched actor has stopped
 * (or its node left the cluster). Delivered once per watch, after every message the
 * watched actor sent before it stopped.
 */
export class Terminated extends Signal {
  constructor(
    /** The actor that stopped. */
    readonly ref: ActorRef<never>,
  ) {
    super();
  }
}
