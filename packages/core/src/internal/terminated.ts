import type { ActorRef } from '../actor-ref.js';
import { Signal } from './signal.js';

/**
 * Queued in a watcher's mailbox when a watched actor has stopped (or its node left the
 * cluster), once per watch, after every message the watched actor sent before it
 * stopped; the cell hands its `ref` to `Actor.onTerminated`. Internal: users see the ref.
 */
export class Terminated extends Signal {
  constructor(
    /** The actor that stopped. */
    readonly ref: ActorRef<never>,
  ) {
    super();
  }
}
