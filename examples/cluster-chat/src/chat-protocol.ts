import type { ActorRef } from '@troupe/core';

/** What a user's actor receives from the room. */
export type UserMessage =
  | { readonly type: 'said'; readonly from: string; readonly text: string }
  | { readonly type: 'joined'; readonly name: string }
  | { readonly type: 'left'; readonly name: string; readonly why: string }
  | { readonly type: 'say'; readonly text: string }
  | { readonly type: 'quit' };

/** What the room understands. `user` is a ref on another node: the room watches it. */
export type RoomMessage = { readonly type: 'join'; readonly name: string; readonly user: ActorRef<UserMessage> } | { readonly type: 'say'; readonly name: string; readonly text: string };
