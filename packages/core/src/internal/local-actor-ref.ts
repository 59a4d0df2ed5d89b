import { ActorRef, sendSystemMessage } from '../actor-ref.js';
import type { ActorSystem } from '../actor-system.js';
import type { ActorCell } from './actor-cell.js';
import type { SystemMessage } from './system-message.js';

/** A ref to an actor in this process: a thin handle on its cell. */
export class LocalActorRef<M> extends ActorRef<M> {
  constructor(readonly cell: ActorCell<M>) {
    super();
  }

  get path(): string {
    return this.cell.path;
  }

  get system(): ActorSystem {
    return this.cell.runtime.publicSystem;
  }

  tell(message: M): void {
    this.cell.tell(message);
  }

  [sendSystemMessage](message: SystemMessage): void {
    this.cell.sendSystem(message);
  }
}
