import { describe, expect, it } from 'vitest';
import { JsonFrameCodec } from '../src/index.js';
import { validateEnvelope } from '../src/transport/envelope.js';

describe('JsonFrameCodec', () => {
  it('round-trips a batch, embedding JSON payloads as JSON rather than escaped strings', () => {
    const codec = new JsonFrameCodec();
    const payload = { type: 'note', text: 'quote " backslash \\ newline \n unicode é', list: [1, null, { a: true }] };
    const frame = codec.encode([
      { k: 'msg', to: 'troupe://t@127.0.0.1:1#a/user/x', s: 'json', m: 'note', t: JSON.stringify(payload) },
      { k: 'msg', to: 'troupe://t@127.0.0.1:1#a/user/y', s: 'custom', m: 'bin', b: 'AQID' },
      { k: 'hb' },
    ]);
    const text = Buffer.from(frame).toString('utf8');
    expect(text).toContain('"v":{"type":"note"');
    const [first, second, third] = codec.decode(frame).map(validateEnvelope);
    expect(first).toMatchObject({ k: 'msg', s: 'json', m: 'note', v: payload });
    expect(second).toMatchObject({ k: 'msg', s: 'custom', b: 'AQID' });
    expect(third).toEqual({ k: 'hb' });
  });

  it('throws on a frame that is not a JSON array, so the transport can count it', () => {
    const codec = new JsonFrameCodec();
    expect(() => codec.decode(Buffer.from('{"k":"hb"}'))).toThrow(TypeError);
    expect(() => codec.decode(Buffer.from([0xff, 0xfe]))).toThrow();
  });
});
