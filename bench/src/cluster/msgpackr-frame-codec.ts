import type { FrameCodec } from '@troupe/cluster';
import { Packr, Unpackr } from 'msgpackr';

/**
 * A `FrameCodec` on msgpackr with records: a frame is the msgpack of its array of
 * envelopes, and each frame defines the shape of its objects once (no structures are
 * shared between processes, so every frame decodes on its own). Plugged into the
 * cluster from the outside through the public `transport.codec` option.
 */
export class MsgpackrFrameCodec implements FrameCodec {
  readonly name = 'msgpackr';
  private readonly packr = new Packr({ useRecords: true });
  private readonly unpackr = new Unpackr({ useRecords: true });

  encode(envelopes: readonly unknown[]): Uint8Array {
    return this.packr.pack(envelopes);
  }

  decode(frame: Uint8Array): unknown[] {
    const value: unknown = this.unpackr.unpack(frame);
    if (!Array.isArray(value)) throw new TypeError('frame is not an array of envelopes');
    return value;
  }
}
