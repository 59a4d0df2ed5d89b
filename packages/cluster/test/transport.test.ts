import { connect } from 'node:net';
import { Actor, type Serializer, SerializationRegistry } from '@troupe/core';
import { resolveLocalRef } from '@troupe/core/spi';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../src/index.js';
import { PROTOCOL_VERSION, newNonce, proofFor } from '../src/transport/handshake.js';
import { SECRET, clusterFixture } from './fast-settings.js';

const start = clusterFixture();

/** Opens a ws to `cluster`, runs the client side of the handshake with `secret`, resolves with the open socket. */
function authenticatedSocket(cluster: Cluster, secret: string, from = 'troupe://test@127.0.0.1:9#fuzzer'): Promise<WebSocket> {
  const socket = new WebSocket(`ws://${cluster.hostPort}/`);
  const nonce = newNonce();
  return new Promise((resolve, reject) => {
    socket.on('open', () => socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, from, nonce })));
    socket.on('message', (data) => {
      const m = JSON.parse(String(data)) as { t: string; nonce: string; from: string };
      if (m.t === 'challenge') socket.send(JSON.stringify({ t: 'proof', proof: proofFor(secret, 'client', m.nonce, from, m.from) }));
      if (m.t === 'accepted') resolve(socket);
    });
    socket.on('close', (code) => reject(new Error(`closed ${code}`)));
    socket.on('error', reject);
  });
}

/** A deterministic PRNG so a failing fuzz run can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Spawns `/user/sink` on `node`, which forwards every `{ n }` it receives to the probe returned. */
function spawnSinkForwardingToProbe(node: Cluster): TestProbe<{ n: number }> {
  const received = TestProbe.create<{ n: number }>(node.system);
  class Forward extends Actor<{ n: number }> {
    receive(m: { n: number }): void {
      received.ref.tell(m);
    }
  }
  node.system.spawn(() => new Forward(), { name: 'sink' });
  return received;
}

describe('WsTransport handshake', () => {
  it('refuses a peer with a wrong secret: it never joins and both sides count the failure', async () => {
    const a = await start();
    await a.whenUp;
    const intruder = await start({ secret: 'another-secret-0123456789', seeds: [a.hostPort] });
    await awaitCondition(() => a.transportStats.handshakeFailures > 0 && intruder.transportStats.handshakeFailures > 0, { timeoutMs: 5000 });
    expect(a.state.members.map((m) => m.address)).toEqual([a.selfAddress]);
    expect(intruder.selfMember).toBeUndefined();
  });

  it('closes with code 4001 a client whose proof is wrong, and keeps serving others', async () => {
    const a = await start();
    await a.whenUp;
    await expect(authenticatedSocket(a, 'not-the-secret-at-all!!')).rejects.toThrow('closed 4001');
    expect(a.transportStats.handshakeFailures).toBeGreaterThanOrEqual(1);
    const b = await start({ seeds: [a.hostPort] });
    await b.whenUp;
  });

  it('refuses a peer that speaks another wire protocol version, naming both versions', async () => {
    const a = await start();
    const socket = new WebSocket(`ws://${a.hostPort}/`);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    socket.on('open', () => socket.send(JSON.stringify({ t: 'hello', v: 1, from: 'troupe://old@127.0.0.1:9#v1node', nonce: newNonce() })));
    expect(await closed).toEqual({ code: 4001, reason: `wire protocol 1 not supported (this node speaks ${PROTOCOL_VERSION})` });
  });

  it('refuses the handshake of a node removed while it was proving itself, and dead-letters messages to it', async () => {
    const a = await start();
    const from = 'troupe://test@127.0.0.1:9#removed';
    const transport = (a as unknown as { transport: { forget(address: string): void } }).transport;
    const socket = new WebSocket(`ws://${a.hostPort}/`);
    const nonce = newNonce();
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('open', () => socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, from, nonce })));
    socket.on('message', (data) => {
      const m = JSON.parse(String(data)) as { t: string; nonce: string; from: string };
      if (m.t !== 'challenge') return;
      transport.forget(from);
      socket.send(JSON.stringify({ t: 'proof', proof: proofFor(SECRET, 'client', m.nonce, from, m.from) }));
    });
    expect(await closed).toBe(4001);
    const reasons: string[] = [];
    a.system.eventStream.subscribe('dead-letter', (d) => reasons.push(d.reason));
    a.refFor<{ n: number }>(`${from}/user/sink`).tell({ n: 1 });
    expect(reasons).toEqual(['node-removed']);
  });

  it('never sends the secret: the handshake messages carry only nonces and HMACs', async () => {
    const a = await start();
    const socket = new WebSocket(`ws://${a.hostPort}/`);
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      socket.on('open', () => socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, from: 'troupe://x@127.0.0.1:9#y', nonce: newNonce() })));
      socket.on('message', (data) => {
        seen.push(String(data));
        resolve();
      });
    });
    socket.terminate();
    expect(seen.join('')).not.toContain(SECRET);
    expect(JSON.parse(seen[0] as string)).toMatchObject({ t: 'challenge', from: a.selfAddress });
  });
});

describe('WsTransport under bad input', () => {
  it('survives bounded random and malformed frames, counts them, and keeps serving remote asks', async () => {
    const a = await start();
    const b = await start({ seeds: [a.hostPort] });
    await Promise.all([a.whenUp, b.whenUp]);
    const random = prng(42);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

    // 1. Raw TCP garbage (not even HTTP).
    for (let i = 0; i < 10; i++) {
      await new Promise<void>((resolve) => {
        const s = connect(Number(a.hostPort.split(':')[1]), '127.0.0.1', () => s.end(bytes(1 + Math.floor(random() * 2000))));
        s.on('close', () => resolve());
        s.on('error', () => resolve());
      });
    }
    // 2. Random frames before the handshake.
    for (let i = 0; i < 10; i++) {
      const s = new WebSocket(`ws://${a.hostPort}/`);
      await new Promise<void>((resolve) => {
        s.on('open', () => s.send(bytes(1 + Math.floor(random() * 500))));
        s.on('close', () => resolve());
        s.on('error', () => resolve());
      });
    }
    // 3. Authenticated, then garbage of every kind.
    const s = await authenticatedSocket(a, SECRET);
    const frames: (string | Buffer)[] = [
      '{not json',
      '{"k":"msg"}',
      '[1,2,3]',
      '[{"k":"nope"}]',
      '["no-leading-slash",1,{}]',
      JSON.stringify([[], { k: 'nope' }]),
      JSON.stringify(['/user/x', 5, {}]),
      JSON.stringify(['/user/x', '1', {}]),
      JSON.stringify(['/user/x', 0]),
      JSON.stringify([{ k: 'msg', to: '/user/x', s: 'no-such-serializer', m: 'T', t: '{}' }]),
      JSON.stringify([{ k: 'msg', to: '/user/x', s: 'json', m: 'T', t: '{broken' }]),
      JSON.stringify([{ k: 'msg', to: 1, s: 'json', m: 'T', t: '{}' }]),
      JSON.stringify([{ k: 'gossip', g: { members: 'lots' } }]),
      JSON.stringify([{ k: 'sys', to: 5, op: 'watch', ref: 'x' }]),
    ];
    for (let i = 0; i < 40; i++) frames.push(bytes(1 + Math.floor(random() * 300)));
    for (const frame of frames) s.send(frame);
    await awaitCondition(() => a.transportStats.malformedFrames + a.transportStats.malformedEnvelopes + a.transportStats.deserializationErrors >= 54, { timeoutMs: 5000 });
    expect(a.transportStats.deserializationErrors).toBe(2);
    expect(a.transportStats.protocolErrors + a.transportStats.handshakeFailures).toBeGreaterThanOrEqual(10);
    s.terminate();

    // The node still works.
    class Echo extends (await import('@troupe/core')).Actor<{ replyTo: { tell(m: string): void } }> {
      receive(m: { replyTo: { tell(m: string): void } }): void {
        m.replyTo.tell('alive');
      }
    }
    a.system.spawn(() => new Echo(), { name: 'echo' });
    const reply = await b.refFor<{ replyTo: unknown }>(`${a.selfAddress}/user/echo`).ask<string>((replyTo) => ({ replyTo }), { timeoutMs: 3000 });
    expect(reply).toBe('alive');
    expect(a.system.isTerminated).toBe(false);
  });

  it('closes a connection whose frame is over maxFrameBytes before buffering it, and counts it', async () => {
    const a = await start({ transport: { maxFrameBytes: 1024 } });
    const s = await authenticatedSocket(a, SECRET);
    const closed = new Promise<number>((resolve) => s.on('close', (code) => resolve(code)));
    s.send(Buffer.alloc(4096, 1));
    expect(await closed).toBe(1009);
    await awaitCondition(() => a.transportStats.oversizedFrames === 1);
  });

  it('drops an outgoing message larger than maxFrameBytes to dead letters with reason frame-too-large', async () => {
    const a = await start({ transport: { maxFrameBytes: 2048 } });
    const b = await start({ seeds: [a.hostPort], transport: { maxFrameBytes: 2048 } });
    await Promise.all([a.whenUp, b.whenUp]);
    const probe = TestProbe.create(b.system);
    b.system.eventStream.subscribe('dead-letter', (d) => probe.ref.tell(d));
    b.refFor<{ big: string }>(`${a.selfAddress}/user/anything`).tell({ big: 'x'.repeat(5000) });
    const dead = (await probe.expectMessage()) as { reason: string };
    expect(dead.reason).toBe('frame-too-large');
    expect(b.transportStats.oversizedFrames).toBe(1);
  });

  it('sends a message told to a bare node address (no actor path) to dead letters, and delivers the rest of its batch', async () => {
    const a = await start();
    const b = await start({ seeds: [a.hostPort] });
    await Promise.all([a.whenUp, b.whenUp]);
    const received = spawnSinkForwardingToProbe(a);
    const dead: { recipient: string; reason: string }[] = [];
    b.system.eventStream.subscribe('dead-letter', (d) => dead.push(d));
    const sink = b.refFor<{ n: number }>(`${a.selfAddress}/user/sink`);
    sink.tell({ n: 1 });
    b.refFor<{ n: number }>(a.selfAddress).tell({ n: 2 });
    sink.tell({ n: 3 });
    expect(await received.receiveN(2)).toEqual([{ n: 1 }, { n: 3 }]);
    expect(dead).toEqual([expect.objectContaining({ recipient: a.selfAddress, reason: 'recipient-stopped' })]);
  });

  it('drops a message JSON cannot write to dead letters (serialization-failed) and still delivers the rest of its frame in order', async () => {
    const a = await start();
    const b = await start({ seeds: [a.hostPort] });
    await Promise.all([a.whenUp, b.whenUp]);
    const received = spawnSinkForwardingToProbe(a);
    const dead: { recipient: string; reason: string; message: unknown }[] = [];
    b.system.eventStream.subscribe('dead-letter', (d) => dead.push(d));
    const sink = b.refFor<{ n: number | bigint }>(`${a.selfAddress}/user/sink`);
    const bad = { n: 10n };
    // Told in one turn: the four leave in one frame, which JSON.stringify cannot write whole.
    sink.tell({ n: 1 });
    sink.tell(bad);
    sink.tell({ n: 2 });
    sink.tell({ n: 3 });
    expect((await received.receiveN(3, 5000)).map((m) => m.n)).toEqual([1, 2, 3]);
    expect(dead).toEqual([{ recipient: `${a.selfAddress}/user/sink`, reason: 'serialization-failed', message: bad }]);
  });

  it('serialises a message at tell while its connection is not up yet, so later changes to it do not travel', async () => {
    const a = await start();
    const received = TestProbe.create<{ n: number; list: number[] }>(a.system);
    class Forward extends (await import('@troupe/core')).Actor<{ n: number; list: number[] }> {
      receive(m: { n: number; list: number[] }): void {
        received.ref.tell(m);
      }
    }
    a.system.spawn(() => new Forward(), { name: 'sink' });
    const b = await start();
    // b has never talked to a: the first message waits for the connection.
    const message = { n: 1, list: [1, 2, 3] };
    b.refFor<typeof message>(`${a.selfAddress}/user/sink`).tell(message);
    message.n = 2;
    message.list.length = 0;
    expect(await received.receiveN(1, 5000)).toEqual([{ n: 1, list: [1, 2, 3] }]);
  });

  it('exports local refs only when they are sent: asks leave none behind, JSON.stringify elsewhere adds none', async () => {
    const a = await start();
    const b = await start({ seeds: [a.hostPort] });
    await Promise.all([a.whenUp, b.whenUp]);
    const exported = () => (b as unknown as { remoting: { exportedRefCount: number } }).remoting.exportedRefCount;
    const replyPaths: string[] = [];
    // While each ask is pending (its request is being handled on a): b finds it by path, without exporting it.
    const whilePending: { found: boolean; exported: number }[] = [];
    class Echo extends (await import('@troupe/core')).Actor<{ replyTo: { path: string; tell(m: string): void } }> {
      receive(m: { replyTo: { path: string; tell(m: string): void } }): void {
        replyPaths.push(m.replyTo.path);
        whilePending.push({ found: resolveLocalRef(b.system, m.replyTo.path) !== undefined, exported: exported() });
        m.replyTo.tell('pong');
      }
    }
    a.system.spawn(() => new Echo(), { name: 'echo' });
    const echo = b.refFor<{ replyTo: unknown }>(`${a.selfAddress}/user/echo`);
    for (let i = 0; i < 20; i++) expect(await echo.ask<string>((replyTo) => ({ replyTo }), { timeoutMs: 3000 })).toBe('pong');
    // The temporary refs travelled as paths on b and were found by them; settled, no path leads to them any more.
    expect(replyPaths).toHaveLength(20);
    expect(whilePending).toEqual(Array.from({ length: 20 }, () => ({ found: true, exported: 0 })));
    for (const path of replyPaths) {
      expect(path.startsWith(`${b.selfAddress}/temp/`)).toBe(true);
      expect(resolveLocalRef(b.system, path)).toBeUndefined();
    }
    expect(exported()).toBe(0);
    const probe = TestProbe.create(b.system);
    expect(JSON.stringify({ logged: probe.ref })).toBe(`{"logged":{"$troupe.ref":"${probe.ref.path}"}}`);
    expect(exported()).toBe(0);
  });

  it('drops messages beyond the outbound queue limit to dead letters with reason outbound-queue-full', async () => {
    const a = await start();
    const b = await start({ seeds: [a.hostPort], transport: { outboundQueueLimit: 10 } });
    await Promise.all([a.whenUp, b.whenUp]);
    const reasons: string[] = [];
    b.system.eventStream.subscribe('dead-letter', (d) => reasons.push(d.reason));
    const remote = b.refFor<{ n: number }>(`${a.selfAddress}/user/sink`);
    for (let n = 0; n < 50; n++) remote.tell({ n });
    expect(reasons.filter((r) => r === 'outbound-queue-full').length).toBeGreaterThanOrEqual(40);
    expect(b.transportStats.queueOverflowDrops).toBeGreaterThanOrEqual(40);
  });

  it('resumes sending to a slow peer once it reads again, and delivers everything queued, in order', async () => {
    const a = await start({ transport: { highWaterMarkBytes: 64 * 1024, outboundQueueLimit: 100_000 } });
    const from = 'troupe://test@127.0.0.1:9#slowpeer';
    const slowPeer = await authenticatedSocket(a, SECRET, from);
    const seen: number[] = [];
    slowPeer.on('message', (data) => {
      // Flat frames (frame-layout.ts): recipient, count, messages…; other envelopes are objects.
      const frame = JSON.parse(String(data)) as unknown[];
      for (let at = 0; at < frame.length;) {
        if (typeof frame[at] === 'object') at++;
        else {
          const count = frame[at + 1] as number;
          for (const m of frame.slice(at + 2, at + 2 + count)) seen.push((m as { i: number }).i);
          at += 2 + count;
        }
      }
    });
    slowPeer.pause();
    const remote = a.refFor<{ payload: string; i: number }>(`${from}/user/sink`);
    const payload = 'x'.repeat(1024);
    let i = 0;
    while (a.transportStats.backpressurePauses === 0 && i < 50_000) {
      for (let n = 0; n < 500; n++) remote.tell({ payload, i: i++ });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(a.transportStats.backpressurePauses).toBeGreaterThan(0);
    const sent = i;
    slowPeer.resume();
    await awaitCondition(() => seen.length === sent, { timeoutMs: 10_000 });
    expect(seen).toEqual(Array.from({ length: sent }, (_, n) => n));
    expect(a.transportStats.queueOverflowDrops).toBe(0);
    slowPeer.terminate();
  });

  it('pauses sending to a slow peer and sends what overflows its queue to dead letters', async () => {
    const a = await start({ transport: { highWaterMarkBytes: 64 * 1024, outboundQueueLimit: 1000 } });
    const from = 'troupe://test@127.0.0.1:9#slowpeer';
    const slowPeer = await authenticatedSocket(a, SECRET, from);
    slowPeer.pause(); // reads nothing more: the TCP window fills, then ws buffers
    const reasons: string[] = [];
    a.system.eventStream.subscribe('dead-letter', (d) => reasons.push(d.reason));
    const remote = a.refFor<{ payload: string }>(`${from}/user/sink`);
    const payload = 'x'.repeat(1024);
    for (let round = 0; round < 400 && a.transportStats.queueOverflowDrops === 0; round++) {
      for (let i = 0; i < 500; i++) remote.tell({ payload });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(a.transportStats.backpressurePauses).toBeGreaterThan(0);
    expect(a.transportStats.queueOverflowDrops).toBeGreaterThan(0);
    expect(reasons).toContain('outbound-queue-full');
    slowPeer.terminate();
  });

  it('batches the messages told within one tick into one frame', async () => {
    const a = await start();
    const b = await start({ seeds: [a.hostPort] });
    await Promise.all([a.whenUp, b.whenUp]);
    const probe = TestProbe.create<{ n: number }>(a.system);
    // Establish the connection and let membership traffic settle into the counters.
    await b.refFor<{ replyTo: unknown }>(`${a.selfAddress}/user/none`).tell({ replyTo: null });
    const framesBefore = b.transportStats.framesSent;
    const envelopesBefore = b.transportStats.envelopesSent;
    class Sink extends (await import('@troupe/core')).Actor<{ n: number }> {
      receive(m: { n: number }): void {
        if (m.n === 999) probe.ref.tell(m);
      }
    }
    a.system.spawn(() => new Sink(), { name: 'sink' });
    const sink = b.refFor<{ n: number }>(`${a.selfAddress}/user/sink`);
    for (let n = 0; n < 1000; n++) sink.tell({ n });
    await probe.expectMessage({ n: 999 }, 5000);
    const frames = b.transportStats.framesSent - framesBefore;
    expect(b.transportStats.envelopesSent - envelopesBefore).toBeGreaterThanOrEqual(1000);
    // 1000 messages, 1000 per frame: one frame, plus at most a few heartbeat/gossip frames meanwhile.
    expect(frames).toBeLessThanOrEqual(5);
  });

  it('rejects a message of an unknown serializer with a counted error on the receiving node', async () => {
    const failing: Serializer = { id: 'only-on-b', toBinary: () => new Uint8Array([1, 2, 3]), fromBinary: () => ({}) };
    const a = await start();
    const b = await start({ seeds: [a.hostPort], serialization: new SerializationRegistry().bind('Secretive', failing) });
    await Promise.all([a.whenUp, b.whenUp]);
    b.refFor<{ type: string }>(`${a.selfAddress}/user/x`).tell({ type: 'Secretive' });
    await awaitCondition(() => a.transportStats.deserializationErrors === 1, { timeoutMs: 5000 });
  });

  it('dead-letters and counts a message of a serializer of its own that overflows a `fail` mailbox, and delivers the rest of its frame', async () => {
    const bytes: Serializer = {
      id: 'bytes-json',
      toBinary: (value) => new TextEncoder().encode(JSON.stringify(value)),
      fromBinary: (data) => JSON.parse(new TextDecoder().decode(data)),
    };
    const a = await start({ serialization: new SerializationRegistry().bind('Work', bytes) });
    const b = await start({ seeds: [a.hostPort], serialization: new SerializationRegistry().bind('Work', bytes) });
    await Promise.all([a.whenUp, b.whenUp]);
    const gate = Promise.withResolvers<void>();
    const handled: number[] = [];
    class Busy extends Actor<{ type: 'Work'; n: number }> {
      async receive(m: { type: 'Work'; n: number }): Promise<void> {
        handled.push(m.n);
        await gate.promise;
      }
    }
    a.system.spawn(() => new Busy(), { name: 'busy', mailbox: { capacity: 1, overflow: 'fail' } });
    const after = TestProbe.create<{ n: number }>(a.system);
    class Forward extends Actor<{ n: number }> {
      receive(m: { n: number }): void {
        after.ref.tell(m);
      }
    }
    a.system.spawn(() => new Forward(), { name: 'after' });
    const full: string[] = [];
    a.system.eventStream.subscribe('dead-letter', (d) => full.push(`${(d.message as { n: number }).n} ${d.reason}`));
    const busy = b.refFor<{ type: 'Work'; n: number }>(`${a.selfAddress}/user/busy`);
    // One frame: five serialised messages for a mailbox that holds one (the actors a frame wakes run when it has been read), then a JSON one.
    for (let n = 0; n < 5; n++) busy.tell({ type: 'Work', n });
    b.refFor<{ n: number }>(`${a.selfAddress}/user/after`).tell({ n: 99 });
    await after.expectMessage({ n: 99 }, 5000);
    expect(handled).toEqual([0]);
    expect(full).toEqual(['1 mailbox-full', '2 mailbox-full', '3 mailbox-full', '4 mailbox-full']);
    expect(a.transportStats.deliveryFailures).toBe(4);
    gate.resolve();
  });
});
