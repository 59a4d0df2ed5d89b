import { type Listing, ServiceKey } from '@troupe/cluster';
import type { ActorRef } from '@troupe/core';

/** What a user's actor receives from the room, from its own node (`say`, `quit`), and from the receptionist (listings of the room key). */
export type UserMessage =
  | { readonly type: 'said'; readonly from: string; readonly text: string }
  | { readonly type: 'joined'; readonly name: string }
  | { readonly type: 'left'; readonly name: string; readonly why: string }
  | { readonly type: 'say'; readonly text: string }
  | { readonly type: 'quit' }
  | Listing<RoomMessage>;

/** What the room understands. `user` is a ref on another node: the room watches it. */
export type RoomMessage = { readonly type: 'join'; readonly name: string; readonly user: ActorRef<UserMessage> } | { readonly type: 'say'; readonly name: string; readonly text: string };

/** The service key the room is registered under: users find it through the receptionist, not by its path. */
export const ChatRoom = ServiceKey.of<RoomMessage>('chat-room');
