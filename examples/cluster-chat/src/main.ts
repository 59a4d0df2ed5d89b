/**
 * cluster-chat: a chat room on this process's node, two users (alice, bob) on their
 * own nodes in child processes. The room is registered with the receptionist under the
 * `chat-room` service key; users find it there (no path is handed to them) and join by
 * sending it a message that carries their own ref; the room watches those remote refs. Alice quits (her actor stops:
 * Terminated), bob's process is killed with SIGKILL (his node is downed: Terminated too).
 *
 *   npm start
 */
import { fileURLToPath } from 'node:url';
import { Cluster, Receptionist } from '@troupe/cluster';
import { silentLogger } from '@troupe/core';
import { MultiNodeHarness } from '@troupe/testkit';
import { ChatRoom } from './chat-protocol.js';
import { Room } from './room.js';

const bobGone = Promise.withResolvers<void>();
const log = (line: string) => {
  console.log(line);
  if (line.startsWith('room: bob is gone')) bobGone.resolve();
};
const cluster = await Cluster.start({
  name: 'chat',
  secret: process.env.CHAT_SECRET ?? 'cluster-chat-example-secret',
  gossipIntervalMs: 300,
  failureDetector: { heartbeatIntervalMs: 300, acceptableHeartbeatPauseMs: 1500 },
  downing: { stableAfterMs: 1500 },
  system: { logger: silentLogger },
});
await cluster.whenUp;
const room = cluster.system.spawn(() => new Room(log), { name: 'room' });
Receptionist.get(cluster).register(ChatRoom, room);
log(`room node up at ${cluster.selfAddress}; the room is registered under service key ${ChatRoom.name}`);

const names = ['alice', 'bob'];
const users = await MultiNodeHarness.start({
  script: fileURLToPath(new URL('./user-node.js', import.meta.url)),
  nodes: 2,
  args: (i) => [cluster.hostPort, names[i] as string],
});
const heard = (i: number, predicate: (m: { type: string; [k: string]: unknown }) => boolean) =>
  users.nodes[i]?.messages.some((m) => (m as { type: string }).type === 'heard' && predicate((m as { message: { type: string } }).message)) === true;
const found = (i: number) => users.nodes[i]?.messages.some((m) => (m as { type: string; path?: string }).type === 'found-room' && (m as { path: string }).path === room.path) === true;
try {
  await users.waitFor(() => found(0) && found(1), 15_000, 'both users to find the room through the receptionist');
  log('alice and bob found the room through the receptionist');
  await users.waitFor(() => heard(0, (m) => m.type === 'joined' && m.name === 'bob'), 15_000, 'both users to join');
  users.send(0, { type: 'say', text: 'hi bob, this reached you through a remote ref' });
  await users.waitFor(() => heard(1, (m) => m.type === 'said' && m.from === 'alice'), 5_000, 'bob to hear alice');
  log('bob heard alice');
  users.send(1, { type: 'say', text: 'hi alice!' });
  await users.waitFor(() => heard(0, (m) => m.type === 'said' && m.from === 'bob'), 5_000, 'alice to hear bob');
  log('alice heard bob');

  users.send(0, { type: 'quit' });
  await users.waitFor(() => heard(1, (m) => m.type === 'left' && m.name === 'alice'), 5_000, 'bob to learn alice left');
  log('bob learned that alice left (her actor stopped)');

  const killedAt = performance.now();
  await users.kill(1);
  const deadline = setTimeout(() => bobGone.reject(new Error('the room did not notice that bob’s node went')), 15_000);
  await bobGone.promise;
  clearTimeout(deadline);
  log(`the room noticed bob’s node was downed after ${Math.round(performance.now() - killedAt)} ms`);
  log('done');
} finally {
  await users.cleanup();
  await cluster.shutdown();
}
