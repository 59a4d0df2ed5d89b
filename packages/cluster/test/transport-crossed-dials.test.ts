import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { awaitCondition } from '@troupe/testkit';
import { WebSocket, WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { compareAddresses, formatAddress } from '../src/address/node-address.js';
import { JsonFrameCodec } from '../src/transport/frame-codec.js';
import { layOutFrame } from '../src/transport/frame-layout.js';
import { PROTOCOL_VERSION, newNonce, proofFor } from '../src/transport/handshake.js';
import { resolveTransportSettings } from '../src/transport/transport-settings.js';
import { WsTransport } from '../src/transport/ws-transport.js';

const SECRET = 'crossed-dials-secret-0123456789';

/** A transport on 127.0.0.1 counting every message run it receives and every envelope it drops, by reason. */
async function node(): Promise<{ transport: WsTransport; received: number[]; drops: Map<string, number> }> {
  const transport = await WsTransport.listen('127.0.0.1', 0, SECRET, resolveTransportSettings({ reconnectBackoffMs: { min: 10, max: 50 } }), (port) =>
    formatAddress({ system: 'crossed', host: '127.0.0.1', port, incarnation: randomBytes(6).toString('hex') }),
  );
  const received: number[] = [];
  const drops = new Map<string, number>();
  transport.onMessageRun = (_from, _to, frame, start, end) => {
    for (let i = start; i < end; i++) received.push((frame[i] as { n: number }).n);
  };
  // A message queued while there was no connection yet was written as JSON text then: it comes as an envelope of its own.
  transport.onEnvelope = (_from, envelope) => {
    if (envelope.k === 'msg' && envelope.t !== undefined) received.push((JSON.parse(envelope.t) as { n: number }).n);
  };
  transport.onDrop = (_to, _envelope, reason) => drops.set(reason, (drops.get(reason) ?? 0) + 1);
  return { transport, received, drops };
}

const dropped = (drops: Map<string, number>): number => [...drops.values()].reduce((a, b) => a + b, 0);

const open: WsTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('WsTransport: two nodes dialling each other at once', () => {
  it('delivers (or dead-letters with a reason) every message both sides send while their dials cross', async () => {
    const perBurst = 50;
    for (let round = 0; round < 30; round++) {
      const [x, y] = [await node(), await node()];
      open.push(x.transport, y.transport);
      const [low, high] = compareAddresses(x.transport.address, y.transport.address) < 0 ? [x, y] : [y, x];
      let sent = { low: 0, high: 0 };
      const burst = (from: typeof low, to: typeof low, key: 'low' | 'high') => {
        for (let i = 0; i < perBurst; i++) from.transport.send(to.transport.address, { k: 'msg', to: '/user/sink', v: { n: sent[key]++ } });
      };
      // Both have messages for the other before either is connected, so both dial and the
      // handshakes cross: the side that accepts a connection has a queue to flush on it at once,
      // right behind its `accepted`.
      burst(high, low, 'high');
      // More traffic both ways while the connections settle (each send picks the connection current then).
      for (let tick = 0; tick < 20; tick++) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        burst(high, low, 'high');
        burst(low, high, 'low');
      }
      const settled = () => low.received.length + dropped(high.drops) === sent.high && high.received.length + dropped(low.drops) === sent.low;
      await awaitCondition(settled, { timeoutMs: 10_000 }).catch(() => {});
      expect({ round, toLow: low.received.length + dropped(high.drops), toHigh: high.received.length + dropped(low.drops) }).toEqual({ round, toLow: sent.high, toHigh: sent.low });
      // Nothing was refused here: every message arrived, in the order sent.
      expect([dropped(low.drops), dropped(high.drops)]).toEqual([0, 0]);
      expect(low.received).toEqual(Array.from({ length: sent.high }, (_, n) => n));
      expect(high.received).toEqual(Array.from({ length: sent.low }, (_, n) => n));
      await Promise.all(open.splice(0).map((t) => t.close()));
      sent = { low: 0, high: 0 };
    }
  }, 120_000);

  it('reads a dialled connection it closes as a duplicate, and dials again once the connection it kept is gone', async () => {
    const t = await node();
    open.push(t.transport);
    // The peer is played by hand over real sockets, so its side of the handshake can wait at will.
    // Its address must be lower than t's: t (higher) then accepts the peer's own dial while still dialling it.
    let server: WebSocketServer;
    for (;;) {
      server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await new Promise<void>((resolve) => server.once('listening', () => resolve()));
      if ((server.address() as AddressInfo).port < t.transport.port) break;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const peer = formatAddress({ system: 'crossed', host: '127.0.0.1', port: (server.address() as AddressInfo).port, incarnation: 'aaaaaaaaaaaa' });
    const codec = new JsonFrameCodec();
    const frameOf = (n: number): Uint8Array => codec.encode(layOutFrame([{ k: 'msg', to: '/user/sink', v: { n } }], 0, 1));
    const dialsIn: WebSocket[] = [];
    const proved: WebSocket[] = [];
    server.on('connection', (socket) => {
      dialsIn.push(socket);
      socket.once('message', (data) => {
        const hello = JSON.parse(String(data)) as { nonce: string };
        const nonce = newNonce();
        socket.send(JSON.stringify({ t: 'challenge', from: peer, nonce, proof: proofFor(SECRET, 'server', hello.nonce, peer, t.transport.address) }));
        socket.once('message', () => proved.push(socket));
      });
    });
    try {
      // t dials the peer, which holds back its `accepted`...
      t.transport.send(peer, { k: 'msg', to: '/user/sink', v: { n: -1 } });
      await awaitCondition(() => proved.length === 1, { timeoutMs: 10_000 });
      // ...while the peer's own dial to t is accepted and becomes t's connection.
      const inbound = new WebSocket(`ws://127.0.0.1:${t.transport.port}/`);
      const nonce = newNonce();
      await new Promise<void>((resolve, reject) => {
        inbound.on('open', () => inbound.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, from: peer, nonce })));
        inbound.on('message', (data) => {
          const m = JSON.parse(String(data)) as { t: string; nonce: string };
          if (m.t === 'challenge') inbound.send(JSON.stringify({ t: 'proof', proof: proofFor(SECRET, 'client', m.nonce, peer, t.transport.address) }));
          if (m.t === 'accepted') resolve();
        });
        inbound.on('error', reject);
      });
      // Now the peer accepts t's dial and writes on it at once: t closes it as a duplicate, but reads it till closed.
      const dialled = proved[0] as WebSocket;
      const dialledClosed = new Promise<void>((resolve) => dialled.once('close', () => resolve()));
      dialled.send(JSON.stringify({ t: 'accepted' }));
      dialled.send(frameOf(1));
      await dialledClosed;
      await awaitCondition(() => t.received.includes(1), { timeoutMs: 10_000 });
      // The connection t kept goes away: t must dial the peer again for what it sends next.
      const inboundClosed = new Promise<void>((resolve) => inbound.once('close', () => resolve()));
      inbound.close();
      await inboundClosed;
      t.transport.send(peer, { k: 'msg', to: '/user/sink', v: { n: 2 } });
      await awaitCondition(() => dialsIn.length === 2, { timeoutMs: 10_000 });
    } finally {
      for (const socket of dialsIn) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
