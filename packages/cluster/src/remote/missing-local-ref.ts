import { ActorRef, type ActorSystem } from '@troupe/core';
import { type SystemMessage, publishDeadLetter, sendSystemMessage } from '@troupe/core/spi';

/**
 * A local path with no live actor: messages become dead letters, watchers learn at once.
 * What inbound frames and refs naming no actor resolve to, so the remoting never has to
 * handle "no such actor" on its delivery path.
 */
export class MissingLocalRef extends ActorRef<unknown> {
  constructor(
    readonly system: ActorSystem,
    readonly path: string,
  ) {
    super();
  }

  tell(message: unknown): void {
    publishDeadLetter(this.system, message, this.path, 'recipient-stopped');
  }

  [sendSystemMessage](message: SystemMessage): void {
    if (message.kind === 'watch') message.watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: this as ActorRef<never> });
  }
}
