import { readFileSync } from 'node:fs';
import { Actor, type ActorRef } from '@troupe/core';
import { awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../src/index.js';
import { fastOptions } from './fast-settings.js';

const cert = readFileSync(new URL('./fixtures/tls/cert.pem', import.meta.url));
const key = readFileSync(new URL('./fixtures/tls/key.pem', import.meta.url));
const started: Cluster[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.shutdown()));
});

describe('Cluster over TLS (wss)', () => {
  it('joins and answers a remote ask when every node trusts the cluster CA', async () => {
    const tls = { cert, key, ca: cert };
    const a = await Cluster.start(fastOptions({ transport: { tls } }));
    started.push(a);
    const b = await Cluster.start(fastOptions({ seeds: [a.hostPort], transport: { tls } }));
    started.push(b);
    await Promise.all([a.whenUp, b.whenUp]);
    class Echo extends Actor<{ replyTo: ActorRef<string> }> {
      receive(m: { replyTo: ActorRef<string> }): void {
        m.replyTo.tell('over tls');
      }
    }
    a.system.spawn(() => new Echo(), { name: 'echo' });
    expect(await b.refFor<{ replyTo: ActorRef<string> }>(`${a.selfAddress}/user/echo`).ask<string>((replyTo) => ({ replyTo }))).toBe('over tls');
  });

  it('refuses a node that does not trust the certificate', async () => {
    const a = await Cluster.start(fastOptions({ transport: { tls: { cert, key, ca: cert } } }));
    started.push(a);
    await a.whenUp;
    const b = await Cluster.start(fastOptions({ seeds: [a.hostPort], transport: { tls: { cert, key } } }));
    started.push(b);
    await awaitCondition(() => b.transportStats.protocolErrors > 0, { timeoutMs: 5000 });
    expect(b.selfMember).toBeUndefined();
  });
});
