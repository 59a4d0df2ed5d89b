import type { ActorRef } from '@troupe/core';
import { PersistentActor } from '@troupe/persistence';

type RunCommand = { readonly type: 'start'; readonly replyTo: ActorRef<number> };
type RunEvent = { readonly type: 'run-started'; readonly at: string };

/** Counts how often the demo ran against this data folder: its own state is recovered too. */
export class RunCounter extends PersistentActor<RunCommand, RunEvent> {
  readonly persistenceId = 'demo-runs';
  private runs = 0;

  applyEvent(): void {
    this.runs++;
  }

  async receiveCommand(command: RunCommand): Promise<void> {
    await this.persist({ type: 'run-started', at: new Date().toISOString() });
    command.replyTo.tell(this.runs);
  }
}
