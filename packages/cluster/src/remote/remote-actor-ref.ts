import { ActorRef, type ActorSystem } from '@troupe/core';
import { type SystemMessage, sendSystemMessage } from '@troupe/core/spi';

/** What a remote ref needs from the node it lives on. */
export interface RemoteRefProvider {
  readonly system: ActorSystem;
  sendUserMessage(target: RemoteActorRef<unknown>, message: unknown): void;
  sendSystemMessage(target: RemoteActorRef<unknown>, message: SystemMessage): void;
}

/**
 * A ref to an actor on another node. `tell` serialises the message and queues it on
 * the connection to that node; watch, unwatch and termination travel as system
 * envelopes on the same connection, so they keep their order relative to messages.
 */
export class RemoteActorRef<M> extends ActorRef<M> {
  /** The path without the node address (`/user/orders`): what frames carry. */
  readonly relativePath: string;

  /** Made by the cluster (`cluster.refFor`, or a ref arriving in a message), never by applications. @internal */
  constructor(
    readonly path: string,
    /** Node address of the actor (the path's prefix). */
    readonly nodeAddress: string,
    private readonly provider: RemoteRefProvider,
  ) {
    super();
    this.relativePath = path.slice(nodeAddress.length);
  }

  get system(): ActorSystem {
    return this.provider.system;
  }

  tell(message: M): void {
    this.provider.sendUserMessage(this as RemoteActorRef<unknown>, message);
  }

  [sendSystemMessage](message: SystemMessage): void {
    this.provider.sendSystemMessage(this as RemoteActorRef<unknown>, message);
  }
}
