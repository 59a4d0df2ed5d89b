/**
 * A user's node (child process of main.ts): joins the cluster, spawns its user actor,
 * which finds the room through the receptionist (it subscribes to the room's service
 * key) and joins it, and reports what it hears over IPC.
 */
import { Cluster, Receptionist } from '@troupe/cluster';
import { Actor, type ActorRef, silentLogger } from '@troupe/core';
import { ChatRoom, type RoomMessage, type UserMessage } from './chat-protocol.js';

const [seed, name] = process.argv.slice(2) as [string, string];
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
const receptionist = Receptionist.get(cluster);

/** One chat user: finds the room, says things into it and reports what the room broadcasts. */
class User extends Actor<UserMessage> {
  private room: ActorRef<RoomMessage> | undefined;

  override preStart(): void {
    // The current listing comes at once (maybe still empty), then every change: join once the room is listed.
    receptionist.subscribe(ChatRoom, this.context.self);
  }

  receive(message: UserMessage): void {
    if (message.type === 'receptionist-listing') {
      const room = message.refs[0];
      if (this.room !== undefined || room === undefined) return;
      this.room = room;
      process.send?.({ type: 'found-room', path: room.path });
      room.tell({ type: 'join', name, user: this.context.self });
    } else if (message.type === 'say') this.room?.tell({ type: 'say', name, text: message.text });
    else if (message.type === 'quit') this.context.stop(this.context.self);
    else process.send?.({ type: 'heard', message });
  }
}

const user = cluster.system.spawn(() => new User(), { name: 'user' });
process.send?.({ type: 'started', name, address: cluster.selfAddress });
process.on('message', (command: { type: 'say'; text: string } | { type: 'quit' }) => user.tell(command));
process.on('disconnect', () => process.exit(0));
