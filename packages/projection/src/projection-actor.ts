import { Actor } from '@troupe/core';
import type { Projection } from './projection.js';

/** What a `ProjectionActor` accepts: the stop that lets the projection store its offset first. */
export type ProjectionActorMessage = { readonly type: 'projection-actor-stop' };

/** Sent by the actor to itself when its projection failed for good. */
interface ProjectionFailed {
  readonly type: 'projection-actor-failed';
  readonly projection: Projection<unknown>;
}

/**
 * An actor that owns one projection: it builds and starts it when the actor starts,
 * and on `ProjectionActor.stopMessage` stops it (storing what was handled) before the
 * actor stops, so whoever stops the actor that way — sharding handing a daemon
 * instance to another node — waits for the offset. A projection that fails for good
 * (restarts exhausted, or undecodable input under `'stop'`) is logged and stops the
 * actor; under a sharded daemon process the next keep-alive starts it again, resuming
 * from the stored offset. Depends on `@troupe/core` only, so it runs under any actor:
 * a `ShardedDaemonProcess` instance of `@troupe/cluster` (one per slice range), a
 * plain child, a singleton. See the package README, "Running over a cluster".
 *
 * @example
 * ShardedDaemonProcess.get(cluster).init({
 *   name: 'orders', numberOfInstances: 4,
 *   create: (index) => new ProjectionActor(() => Projection.exactlyOnce({ ...options, source: SlicedSource.create(byTag, sliceRanges(4)[index]) })),
 *   stopMessage: ProjectionActor.stopMessage,
 * });
 */
export class ProjectionActor extends Actor<ProjectionActorMessage | ProjectionFailed> {
  /** Stops the projection, storing what it handled, then the actor. */
  static readonly stopMessage: ProjectionActorMessage = Object.freeze({ type: 'projection-actor-stop' });

  private projection: Projection<unknown> | undefined;

  constructor(
    /** Builds the projection (not started); called at every start of the actor. */
    private readonly build: () => Projection<unknown>,
  ) {
    super();
  }

  override preStart(): void {
    const projection = this.build();
    this.projection = projection;
    const self = this.context.self;
    projection.start();
    // Reported as a message: the actor, not a stray continuation, decides what a failure means.
    projection.done.catch(() => self.tell({ type: 'projection-actor-failed', projection }));
  }

  async receive(message: ProjectionActorMessage | ProjectionFailed): Promise<void> {
    if (message.type === 'projection-actor-failed') {
      if (message.projection !== this.projection) return;
      const { name, key, lastError } = message.projection.status();
      this.context.log.error(`projection ${name}/${key} failed for good; stopping its actor ${this.context.self.path}`, { error: lastError });
      this.context.stop(this.context.self);
      return;
    }
    await this.projection?.stop();
    this.context.stop(this.context.self);
  }

  override postStop(): void {
    // Stopped without the stop message (a parent stopping, the system terminating): stop the projection all the same; the store keeps what it stored.
    void this.projection?.stop();
  }
}
