import { Actor } from '@troupe/core';
import type { Projection } from './projection.js';

/** The well-known key an actor class declares its stop message under (`STOP_MESSAGE_KEY` of `@troupe/cluster`; a registry symbol, so this package need not import it). */
const STOP_MESSAGE_KEY: unique symbol = Symbol.for('troupe.stopMessage');

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

  /**
   * The stop message, declared under the well-known key `Symbol.for('troupe.stopMessage')`:
   * a `ShardedDaemonProcess` or `ClusterSingleton` of `@troupe/cluster` given no
   * `stopMessage` sends it anyway, so a moving projection cannot skip storing its offset.
   */
  static readonly [STOP_MESSAGE_KEY]: ProjectionActorMessage = ProjectionActor.stopMessage;

  private projection: Projection<unknown> | undefined;
  private stopRequested = false;

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
    this.stopRequested = true;
    try {
      await this.projection?.stop();
    } finally {
      // Stopped even when storing the offset failed: the failure goes to the supervisor, and postRestart keeps a restart from starting a second projection.
      this.context.stop(this.context.self);
    }
  }

  override preRestart(): void {
    this.stopInBackground();
  }

  /**
   * A restart would start a second projection of the same key while the failed one may
   * still be stopping, so a failed ProjectionActor stops instead; its owner (a daemon's
   * keep-alive, a singleton's next message) starts a fresh one after it is gone.
   */
  override postRestart(error: unknown): void {
    this.context.log.error(`ProjectionActor ${this.context.self.path} failed; stopping it rather than restarting its projection`, { error });
    this.context.stop(this.context.self);
  }

  override postStop(): void {
    const projection = this.projection;
    if (projection === undefined) return;
    const { state, name, key } = projection.status();
    if (!this.stopRequested && (state === 'running' || state === 'paused')) {
      // A move without the stop message: the successor may start before this projection stored its offset, and apply a batch again.
      this.context.log.warn(
        `ProjectionActor ${this.context.self.path} was stopped without ProjectionActor.stopMessage; projection ${name}/${key} stops in the background, and a successor started now may handle its last batch again`,
      );
    }
    this.stopInBackground();
  }

  /** Stops the projection without waiting (a stop hook cannot wait); the store keeps what it stored. */
  private stopInBackground(): void {
    const projection = this.projection;
    if (projection === undefined) return;
    const log = this.context.log;
    projection.stop().catch((error: unknown) => log.warn(`projection ${projection.status().name}/${projection.status().key}: stopping failed`, { error }));
  }
}
