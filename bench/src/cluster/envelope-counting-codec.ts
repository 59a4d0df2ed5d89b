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

/** A frame is `[recipients, item, …]`; a message item is an array, any other envelope an object with its kind in `k`. */
function countItems(into: EnvelopeCounts, frame: readonly unknown[]): void {
  for (let i = 1; i < frame.length; i++) count(into, frame[i]);
}

function count(into: EnvelopeCounts, envelope: unknown): void {
  if (Array.isArray(envelope)) {
    into.msg = (into.msg ?? 0) + 1;
    return;
  }
  const kind = (envelope as { k?: unknown } | null)?.k;
  const key = typeof kind === 'string' ? kind : '?';
  into[key] = (into[key] ?? 0) + 1;
}
