import { describe, expect, it } from 'vitest';
import { JsonFrameCodec } from '../src/index.js';
import type { Envelope } from '../src/transport/envelope.js';
import { layOutFrame, readFrame } from '../src/transport/frame-layout.js';

const codec = new JsonFrameCodec();

/** Reads a frame back into envelopes, a run of JSON messages as one envelope per message. */
function readAll(frame: readonly unknown[]): { read: Envelope[]; malformed: number } {
  const read: Envelope[] = [];
  const malformed = readFrame(
    frame,
    (envelope) => read.push(envelope),
    (to, messages, start, end) => {
      for (const v of messages.slice(start, end)) read.push({ k: 'msg', to, v });
    },
  );
  return { read, malformed };
}

function roundTrip(envelopes: Envelope[]): { text: string; read: Envelope[]; malformed: number } {
  const bytes = codec.encode(layOutFrame(envelopes, 0, envelopes.length));
  return { text: Buffer.from(bytes).toString('utf8'), ...readAll(codec.decode(bytes)) };
}

describe('frame layout', () => {
  it('writes consecutive JSON messages to one recipient as one run, naming the recipient by path once, then by number', () => {
    const payload = { type: 'note', text: 'quote " backslash \\ newline \n unicode é', list: [1, null, { a: true }] };
    const { text, read, malformed } = roundTrip([
      { k: 'msg', to: '/user/x', v: payload },
      { k: 'msg', to: '/user/x', v: { n: 2 } },
      { k: 'msg', to: '/user/y', v: { n: 3 } },
      { k: 'msg', to: '/user/x', v: { n: 4 } },
    ]);
    expect(text).toBe(`["/user/x",2,${JSON.stringify(payload)},{"n":2},"/user/y",1,{"n":3},0,1,{"n":4}]`);
    expect(malformed).toBe(0);
    expect(read).toEqual([
      { k: 'msg', to: '/user/x', v: payload },
      { k: 'msg', to: '/user/x', v: { n: 2 } },
      { k: 'msg', to: '/user/y', v: { n: 3 } },
      { k: 'msg', to: '/user/x', v: { n: 4 } },
    ]);
  });

  it('writes a lone message (an ask, a reply) as its recipient, 1 and the message', () => {
    const { text, read } = roundTrip([{ k: 'msg', to: '/temp/$1', v: { type: 'pong' } }]);
    expect(text).toBe('["/temp/$1",1,{"type":"pong"}]');
    expect(read).toEqual([{ k: 'msg', to: '/temp/$1', v: { type: 'pong' } }]);
  });

  it('keeps the order of messages and other envelopes, and the refs flag of each serialised message', () => {
    const envelopes: Envelope[] = [
      { k: 'msg', to: '/user/x', v: { n: 1 } },
      { k: 'hb' },
      { k: 'msg', to: '/user/x', v: { n: 2, replyTo: { '$troupe.ref': 'troupe://t@127.0.0.1:1#a/temp/1' } } },
      { k: 'msg', to: '/user/x', s: 'custom', m: 'bin', b: 'AQID', r: false },
      { k: 'msg', to: '/user/z', s: 'text', m: 'note', t: 'hello', r: true },
      { k: 'msg', to: '/user/x', v: { n: 3 } },
      { k: 'sys', to: 'troupe://t@127.0.0.1:1#a/user/x', op: 'watch', ref: 'troupe://t@127.0.0.1:2#b/user/w' },
    ];
    const { read, malformed } = roundTrip(envelopes);
    expect(malformed).toBe(0);
    expect(read).toEqual(envelopes);
  });

  it('writes a frame of one kind of message to one actor as little more than the messages', () => {
    const ticks = Array.from({ length: 1000 }, (_, seq) => ({ type: 'tick', seq }));
    const envelopes: Envelope[] = ticks.map((v) => ({ k: 'msg', to: '/user/sink', v }));
    const { text } = roundTrip(envelopes);
    expect(text).toBe(`["/user/sink",1000,${JSON.stringify(ticks).slice(1)}`);
  });

  it('names each recipient once however many a frame has (past the table scan, a map)', () => {
    const envelopes: Envelope[] = [];
    for (let round = 0; round < 3; round++) for (let n = 0; n < 12; n++) envelopes.push({ k: 'msg', to: `/user/a${n}`, v: round * 100 + n });
    const frame = layOutFrame(envelopes, 0, envelopes.length);
    const names = frame.filter((_, i) => i % 3 === 0);
    expect(names).toEqual([...Array.from({ length: 12 }, (_, n) => `/user/a${n}`), ...Array.from({ length: 24 }, (_, n) => n % 12)]);
    expect(readAll(frame).read).toEqual(envelopes);
  });

  it('lays out a slice of the queue only', () => {
    const envelopes: Envelope[] = [1, 2, 3, 4].map((n) => ({ k: 'msg', to: `/user/${n}`, v: n }));
    expect(layOutFrame(envelopes, 1, 3)).toEqual(['/user/2', 1, 2, '/user/3', 1, 3]);
  });

  it('skips malformed envelopes and counts them, delivering the rest', () => {
    const frame = ['/user/x', 1, 'ok', { k: 'msg', to: 1, s: 'json', m: '', t: '{}' }, { k: 'msg', to: 0, s: 'json', m: '' }, { k: 'nope' }, [0, 'x'], { k: 'hb' }, 0, 1, 'ok again'];
    const { read, malformed } = readAll(frame);
    expect(malformed).toBe(4);
    expect(read).toEqual([{ k: 'msg', to: '/user/x', v: 'ok' }, { k: 'hb' }, { k: 'msg', to: '/user/x', v: 'ok again' }]);
  });

  it('numbers the recipients a serialised message names too', () => {
    const envelopes: Envelope[] = [
      { k: 'msg', to: '/user/a', s: 'text', m: 'note', t: 'one', r: false },
      { k: 'msg', to: '/user/b', v: 2 },
      { k: 'msg', to: '/user/a', v: 3 },
    ];
    const frame = layOutFrame(envelopes, 0, envelopes.length);
    expect(frame).toEqual([{ k: 'msg', to: '/user/a', s: 'text', m: 'note', t: 'one' }, '/user/b', 1, 2, 0, 1, 3]);
    expect(readAll(frame).read).toEqual(envelopes);
  });

  it('stops at a run it cannot read (where the next item starts is unknown), counting it once', () => {
    for (const bad of [
      [7, 1, 'unknown number'],
      ['no-leading-slash', 1, 'x'],
      ['/user/x', 0],
      ['/user/x', 1.5, 'x'],
      ['/user/x', '1', 'x'],
      [0.5, 1, 'x'],
      [null, 1, 'x'],
    ]) {
      const { read, malformed } = readAll(['/user/ok', 1, 'first', ...bad, { k: 'hb' }]);
      expect(malformed, JSON.stringify(bad)).toBe(1);
      expect(read, JSON.stringify(bad)).toEqual([{ k: 'msg', to: '/user/ok', v: 'first' }]);
    }
    // A count past the end of the frame.
    expect(readAll(['/user/ok', 1, 'first', '/user/x', 3, 'only', 'two'])).toEqual({ read: [{ k: 'msg', to: '/user/ok', v: 'first' }], malformed: 1 });
  });
});

describe('JsonFrameCodec', () => {
  it('declares that it writes JSON, so JSON messages are handed to it as values', () => {
    expect(codec.writesJson).toBe(true);
  });

  it('throws on bytes that are not a JSON array, so the transport can count them', () => {
    expect(() => codec.decode(Buffer.from('{"k":"hb"}'))).toThrow(TypeError);
    expect(() => codec.decode(Buffer.from([0xff, 0xfe]))).toThrow();
  });
});
