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
  readonly sent: EnvelopeCounts = {};
  readonly received: EnvelopeCounts = {};

  constructor(private readonly inner: FrameCodec) {
    this.name = `counting-${inner.name}`;
  }

  encode(envelopes: readonly unknown[]): Uint8Array {
    for (const envelope of envelopes) count(this.sent, envelope);
    return this.inner.encode(envelopes);
  }

  decode(frame: Uint8Array): unknown[] {
    const envelopes = this.inner.decode(frame);
    for (const envelope of envelopes) count(this.received, envelope);
    return envelopes;
  }
}

function count(into: EnvelopeCounts, envelope: unknown): void {
  const kind = (envelope as { k?: unknown } | null)?.k;
  const key = typeof kind === 'string' ? kind : '?';
  into[key] = (into[key] ?? 0) + 1;
}
