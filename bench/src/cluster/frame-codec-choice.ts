import { type FrameCodec, JsonFrameCodec } from '@troupe/cluster';
import { MsgpackrFrameCodec } from './msgpackr-frame-codec.js';

/** The frame codecs the cluster benchmarks compare: the cluster's default and msgpackr. */
export type CodecName = 'json' | 'msgpackr';

/** Every codec measured, default first. */
export const CODEC_NAMES: readonly CodecName[] = ['json', 'msgpackr'];

/** A fresh codec instance (codecs hold encoder state, so each side gets its own). */
export function frameCodecOf(name: CodecName): FrameCodec {
  switch (name) {
    case 'json':
      return new JsonFrameCodec();
    case 'msgpackr':
      return new MsgpackrFrameCodec();
    default:
      throw new TypeError(`unknown codec ${String(name)}`);
  }
}
