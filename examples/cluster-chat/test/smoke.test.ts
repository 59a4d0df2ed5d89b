import { fileURLToPath } from 'node:url';
import { runNodeProgram } from '@troupe/testkit';
import { describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const runNode = (args: readonly string[], timeoutMs: number) => runNodeProgram(args, { cwd: exampleDir, timeoutMs });

describe('example: cluster-chat', () => {
  it('finds the room through the receptionist, chats through remote refs and sees Terminated for a stopped user and for a killed node', async () => {
    const { code, stdout, stderr } = await runNode(['dist/main.js'], 60_000);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('the room is registered under service key chat-room');
    expect(stdout).toContain('alice and bob found the room through the receptionist');
    expect(stdout).toMatch(/room: alice joined from troupe:\/\/chat@127\.0\.0\.1:\d+#[0-9a-f]+\/user\/user/);
    expect(stdout).toContain('room: <alice> hi bob, this reached you through a remote ref');
    expect(stdout).toContain('bob heard alice');
    expect(stdout).toContain('alice heard bob');
    expect(stdout).toMatch(/room: alice is gone \(Terminated for .*\/user\/user\)/);
    expect(stdout).toContain('bob learned that alice left');
    expect(stdout).toMatch(/room: bob is gone/);
    expect(stdout).toMatch(/the room noticed bob’s node was downed after \d+ ms/);
    expect(stdout).toContain('done');
  }, 70_000);
});
