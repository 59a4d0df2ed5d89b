import { Actor, type ActorRef, type SupervisorStrategy } from '@troupe/core';
import { declaredStopMessage } from '../declared-stop-message.js';
import type { DaemonMessage } from './daemon-protocol.js';
import type { ShardedDaemonProcessSettings } from './sharded-daemon-process-settings.js';

const INSTANCE_STOPPED: DaemonMessage = Object.freeze({ t: 'sdp-instance-stopped' });

/**
 * The sharded entity of one daemon instance: it runs the user's actor for its index as
 * a child, so that keep-alive pings and sharding's stop never reach that actor (whose
 * message type they are not). On sharding's stop (the instance moves to another node)
 * it passes the user's `stopMessage` on (or the one the instance's class declares,
 * see `declaredStopMessage`), or stops the child, and stops itself once the
 * child has stopped, so a handoff waits for whatever the instance does on stop (a
 * projection storing its offset). When the child stops on its own or after failures,
 * this entity stops too and the next keep-alive starts the instance again.
 */
export class DaemonInstance extends Actor<DaemonMessage> {
  private child: ActorRef<unknown> | undefined;
  private stopping = false;
  /** `stopMessage`, or else the one the instance's class declares. */
  private stopMessage: unknown;

  constructor(
    private readonly settings: ShardedDaemonProcessSettings<unknown>,
    private readonly entityId: string,
    /** Indexes running on this node (this entity adds its own while its instance runs). */
    private readonly running: Set<number>,
  ) {
    super();
  }

  override preStart(): void {
    const index = Number(this.entityId);
    if (!(Number.isInteger(index) && String(index) === this.entityId && index >= 0 && index < this.settings.numberOfInstances)) {
      // A node configured with more instances pings indexes this node does not know: refuse them, loudly, until the configurations agree.
      this.context.log.warn(
        `sharded daemon process "${this.settings.name}": not starting instance "${this.entityId}", this node runs ${this.settings.numberOfInstances} instances (numberOfInstances differs between nodes?)`,
      );
      this.context.stop(this.context.self);
      return;
    }
    const create = this.settings.create;
    const configured = this.settings.stopMessage;
    this.stopMessage = configured;
    this.child = this.context.spawn(
      () => {
        const actor = create(index);
        if (configured === undefined) this.stopMessage = declaredStopMessage(actor);
        return actor;
      },
      { name: `instance-${index}` },
    );
    this.context.watch(this.child, INSTANCE_STOPPED);
    this.running.add(index);
  }

  override postStop(): void {
    const index = Number(this.entityId);
    if (this.child !== undefined) this.running.delete(index);
  }

  override supervisorStrategy(): SupervisorStrategy {
    return this.settings.supervision ?? super.supervisorStrategy();
  }

  receive(message: DaemonMessage): void {
    switch (message.t) {
      case 'sdp-keep-alive':
        return;
      case 'sdp-stop':
        if (this.stopping) return;
        this.stopping = true;
        if (this.child === undefined) this.context.stop(this.context.self);
        else if (this.stopMessage === undefined) this.context.stop(this.child);
        else this.child.tell(this.stopMessage);
        return;
      case 'sdp-instance-stopped':
        if (!this.stopping) {
          this.context.log.info(`sharded daemon process "${this.settings.name}": instance ${this.entityId} stopped; the next keep-alive starts it again`);
        }
        this.context.stop(this.context.self);
        return;
    }
  }
}
