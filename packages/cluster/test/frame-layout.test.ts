import { describe, expect, it } from 'vitest';
import { JsonFrameCodec } from '../src/index.js';
import type { Envelope } from '../src/transport/envelope.js';
import { layOutFrame, readFrame, recipientsOf } from '../src/transport/frame-layout.js';

const codec = new JsonFrameCodec();

/** Reads a frame back into envelopes, a run of JSON messages as one envelope per message. */
function readAll(frame: readonly unknown[]): { read: Envelope[]; malformed: number } {
  const read: Envelope[] = [];
  const malformed = readFrame(
    frame,
    recipientsOf(frame),
    (envelope) => read.push(envelope),
    (to, run) => {
      for (const v of run.slice(1)) read.push({ k: 'msg', to, v });
    },
  );
  return { read, malformed };
}

function roundTrip(envelopes: Envelope[]): { text: string; read: Envelope[]; malformed: number } {
  const bytes = codec.encode(layOutFrame(envelopes, 0, envelopes.length));
  return { text: Buffer.from(bytes).toString('utf8'), ...readAll(codec.decode(bytes)) };
}

describe('frame layout', () => {
  it('writes consecutive JSON messages to one recipient as one run, naming the recipient once', () => {
    const payload = { type: 'note', text: 'quote " backslash \\ newline \n unicode é', list: [1, null, { a: true }] };
    const { text, read, malformed } = roundTrip([
      { k: 'msg', to: '/user/x', v: payload },
      { k: 'msg', to: '/user/x', v: { n: 2 } },
      { k: 'msg', to: '/user/y', v: { n: 3 } },
    ]);
    expect(text).toBe(`[["/user/x","/user/y"],[0,${JSON.stringify(payload)},{"n":2}],[1,{"n":3}]]`);
    expect(malformed).toBe(0);
    expect(read).toEqual([
      { k: 'msg', to: '/user/x', v: payload },
      { k: 'msg', to: '/user/x', v: { n: 2 } },
      { k: 'msg', to: '/user/y', v: { n: 3 } },
    ]);
  });

  it('keeps the order of messages and other envelopes, and the refs flag of each serialised message', () => {
    const envelopes: Envelope[] = [
      { k: 'msg', to: '/user/x', v: { n: 1 } },
      { k: 'hb' },
      { k: 'msg', to: '/user/x', v: { n: 2, replyTo: { $ref: 'troupe://t@127.0.0.1:1#a/temp/1' } } },
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
    expect(text).toBe(`[["/user/sink"],[0,${JSON.stringify(ticks).slice(1)}]`);
  });

  it('names each recipient once however many a frame has (past the table scan, a map)', () => {
    const envelopes: Envelope[] = [];
    for (let round = 0; round < 3; round++) for (let n = 0; n < 12; n++) envelopes.push({ k: 'msg', to: `/user/a${n}`, v: round * 100 + n });
    const frame = layOutFrame(envelopes, 0, envelopes.length);
    expect(frame[0]).toEqual(Array.from({ length: 12 }, (_, n) => `/user/a${n}`));
    expect(readAll(frame).read).toEqual(envelopes);
  });

  it('lays out a slice of the queue only', () => {
    const envelopes: Envelope[] = [1, 2, 3, 4].map((n) => ({ k: 'msg', to: `/user/${n}`, v: n }));
    expect(layOutFrame(envelopes, 1, 3)).toEqual([['/user/2', '/user/3'], [0, 2], [1, 3]]);
  });

  it('skips malformed items and counts them, delivering the rest', () => {
    const frame = [['/user/x'], [0, 'ok'], [1, 'bad index'], [-1, 'bad index'], [0], ['0', 'x'], [0.5, 'x'], { k: 'msg', to: 0, s: 'json', m: '' }, { k: 'nope' }, null, { k: 'hb' }];
    const { read, malformed } = readAll(frame);
    expect(malformed).toBe(8);
    expect(read).toEqual([{ k: 'msg', to: '/user/x', v: 'ok' }, { k: 'hb' }]);
  });

  it('refuses a frame without a table of relative recipient paths', () => {
    expect(() => recipientsOf([])).toThrow(TypeError);
    expect(() => recipientsOf([{ k: 'hb' }])).toThrow(TypeError);
    expect(() => recipientsOf([['troupe://t@127.0.0.1:1#a/user/x']])).toThrow(TypeError);
    expect(() => recipientsOf([[7]])).toThrow(TypeError);
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
