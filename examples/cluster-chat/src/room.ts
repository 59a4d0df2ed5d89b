import { Actor, type ActorRef } from '@troupe/core';
import type { RoomMessage, UserMessage } from './chat-protocol.js';

/**
 * The chat room: broadcasts what members say and watches every member's actor. When
 * a member's actor stops — or its whole node is downed — the room gets `Terminated`
 * and tells the others.
 */
export class Room extends Actor<RoomMessage> {
  private readonly members = new Map<string, { name: string; ref: ActorRef<UserMessage> }>();

  constructor(private readonly log: (line: string) => void) {
    super();
  }

  receive(message: RoomMessage): void {
    if (message.type === 'join') {
      this.members.set(message.user.path, { name: message.name, ref: message.user });
      this.context.watch(message.user);
      this.log(`room: ${message.name} joined from ${message.user.path}`);
      this.broadcast({ type: 'joined', name: message.name });
    } else {
      this.log(`room: <${message.name}> ${message.text}`);
      this.broadcast({ type: 'said', from: message.name, text: message.text });
    }
  }

  override onTerminated(ref: ActorRef<never>): void {
    const member = this.members.get(ref.path);
    if (member === undefined) return;
    this.members.delete(ref.path);
    this.log(`room: ${member.name} is gone (Terminated for ${ref.path})`);
    this.broadcast({ type: 'left', name: member.name, why: 'terminated' });
  }

  private broadcast(message: UserMessage): void {
    for (const { ref } of this.members.values()) ref.tell(message);
  }
}
