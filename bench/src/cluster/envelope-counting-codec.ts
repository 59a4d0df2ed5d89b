import type { FrameCodec } from '@troupe/cluster';

/** Envelopes per kind (`hb`, `hbr`, `gossip`, `msg`, …). */
export type EnvelopeCounts = Record<string, number>;

/**
 * Wraps a `FrameCodec` and counts the envelopes of each kind that pass through it,
 * sent and received. `cluster.transportStats` counts envelopes but not their kind, so
 * heartbeats are counted here, through the public `transport.codec` option, without
 * touching the cluster package.
 */
export class EnvelopeCountingCodec implements FrameCodec {
  readonly name: string;
  readonly writesJson: boolean;
  readonly sent: EnvelopeCounts = {};
  readonly received: EnvelopeCounts = {};

  constructor(private readonly inner: FrameCodec) {
    this.name = `counting-${inner.name}`;
    this.writesJson = inner.writesJson === true;
  }

  encode(frame: readonly unknown[]): Uint8Array {
    countItems(this.sent, frame);
    return this.inner.encode(frame);
  }

  decode(bytes: Uint8Array): unknown[] {
    const frame = this.inner.decode(bytes);
    countItems(this.received, frame);
    return frame;
  }
}

/**
 * A frame is flat (see the cluster's frame-layout.ts): a run of JSON messages is a
 * recipient (a path or a number), a count, then that many messages; any other envelope
 * is an object with its kind in `k`. A run counts as one `msg` per message.
 */
function countItems(into: EnvelopeCounts, frame: readonly unknown[]): void {
  let i = 0;
  while (i < frame.length) {
    const item = frame[i];
    if (item !== null && typeof item === 'object') {
      const kind = (item as { k?: unknown }).k;
      const key = typeof kind === 'string' ? kind : '?';
      into[key] = (into[key] ?? 0) + 1;
      i++;
      continue;
    }
    const count = frame[i + 1];
    if (typeof count !== 'number' || count < 1) return;
    into.msg = (into.msg ?? 0) + count;
    i += 2 + count;
  }
}
