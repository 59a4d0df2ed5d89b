/**
 * A user's node (child process of main.ts): joins the cluster, spawns its user actor,
 * joins the room on the room's node, and reports what it hears over IPC.
 */
import { Cluster } from '@troupe/cluster';
import { Actor, silentLogger } from '@troupe/core';
import type { RoomMessage, UserMessage } from './chat-protocol.js';

const [seed, roomPath, name] = process.argv.slice(2) as [string, string, string];
const cluster = await Cluster.start({
  name: 'chat',
  secret: process.env.CHAT_SECRET ?? 'cluster-chat-example-secret',
  seeds: [seed],
  gossipIntervalMs: 300,
  failureDetector: { heartbeatIntervalMs: 300, acceptableHeartbeatPauseMs: 1500 },
  downing: { stableAfterMs: 1500 },
  system: { logger: silentLogger },
});
await cluster.whenUp;
const room = cluster.refFor<RoomMessage>(roomPath);

/** One chat user: says things into the room and reports what the room broadcasts. */
class User extends Actor<UserMessage> {
  override preStart(): void {
    room.tell({ type: 'join', name, user: this.context.self });
  }

  receive(message: UserMessage): void {
    if (message.type === 'say') room.tell({ type: 'say', name, text: message.text });
    else if (message.type === 'quit') this.context.stop(this.context.self);
    else process.send?.({ type: 'heard', message });
  }
}

const user = cluster.system.spawn(() => new User(), { name: 'user' });
process.send?.({ type: 'started', name, address: cluster.selfAddress });
process.on('message', (command: { type: 'say'; text: string } | { type: 'quit' }) => user.tell(command));
process.on('disconnect', () => process.exit(0));
