import type { RawData } from 'ws';
import type { InboundEnvelope } from './envelope.js';
import type { FrameCodec } from './frame-codec.js';
import { type RunListener, readFrame } from './frame-layout.js';
import type { PeerAssociation } from './peer-association.js';
import type { TransportStats } from './transport-stats.js';
import { bytesOfRawData } from './ws-raw-data.js';

/** Receives every valid envelope from an authenticated peer, in order. */
export type EnvelopeListener = (from: string, envelope: InboundEnvelope) => void;

/** Receives each run of JSON messages to one recipient, `frame[start, end)` (see frame-layout.ts). */
export type MessageRunListener = (from: string, to: string, frame: readonly unknown[], start: number, end: number) => void;

/** Brackets the delivery of one inbound frame. */
export interface InboundDeliveryBrackets {
  begin(): void;
  end(): void;
}

/**
 * Delivers inbound frames from every authenticated connection: decodes a frame, hands
 * its envelopes and runs of messages to the owner's listeners in order, and holds back
 * the flushes that associations ask for while it does, so what actors send in answer
 * leaves at the end of the frame, batched. Apart from the transport because it is the
 * per-frame hot path and its bookkeeping (the peer being read, the associations due a
 * flush) belongs to no connection. Allocates nothing per frame beyond what the codec
 * decodes: its listeners are made once and the due list is reused.
 */
export class InboundFrameDelivery {
  /** Set by the owner (through the transport): where valid inbound envelopes go. */
  onEnvelope: EnvelopeListener = () => {};
  /** Set by the owner (through the transport): receives each run of JSON messages, in order with the envelopes. */
  onMessageRun: MessageRunListener = () => {};
  /** Set by the owner (through the transport): brackets the delivery of each inbound frame (the cluster runs the actors it woke at the end). */
  brackets: InboundDeliveryBrackets = { begin() {}, end() {} };
  /** An inbound frame is being delivered: associations with something to send wait for its end (see `requestFlush`). */
  private delivering = false;
  /** Associations due a flush at the end of the frame being delivered: the first `dueCount` (the array is reused). */
  private readonly dueAfterFrame: (PeerAssociation | undefined)[] = [];
  private dueCount = 0;
  /**
   * The peer whose frame is being read, for the two listeners below (made once, not per
   * frame). A listener that throws costs its envelope or run only: the rest of the frame
   * is delivered (the owner's run listener catches per message, so only its own bugs end
   * a run here).
   */
  private readingFrom = '';

  constructor(
    private readonly stats: TransportStats,
    private readonly codec: FrameCodec,
    /** Peers cut off by the test-only partition switch: their frames are dropped. */
    private readonly blocked: ReadonlySet<string>,
    /** Reports an error a listener threw (already counted), never throwing itself. */
    private readonly reportCallbackError: (where: string, error: unknown) => void,
  ) {}

  /** Decodes and delivers one frame from `peer`; a malformed frame or envelope is counted and skipped. */
  receiveFrame(peer: string, data: RawData): void {
    if (this.blocked.has(peer)) {
      this.stats.partitionDrops++;
      return;
    }
    this.stats.framesReceived++;
    let frame: unknown[];
    try {
      frame = this.codec.decode(bytesOfRawData(data));
    } catch {
      this.stats.malformedFrames++;
      return;
    }
    this.readingFrom = peer;
    this.delivering = true;
    this.brackets.begin();
    try {
      const malformed = readFrame(frame, this.deliverEnvelope, this.deliverRun);
      // Added after reading: handlers count malformed envelopes of their own (e.g. bad gossip) as it runs.
      this.stats.malformedEnvelopes += malformed;
    } finally {
      this.endDelivery();
    }
  }

  /**
   * How associations ask for a flush: on a microtask (everything queued before it leaves
   * in one frame), or, while an inbound frame is being delivered, at the end of it.
   */
  requestFlush(association: PeerAssociation): void {
    if (this.delivering) this.dueAfterFrame[this.dueCount++] = association;
    else queueMicrotask(association.flushNow);
  }

  /**
   * Lets the actors the frame woke run and their replies leave now, before this I/O
   * callback unwinds, rather than on the microtasks after it: a remote ask's round trip
   * is shorter by that unwinding on each side.
   */
  private endDelivery(): void {
    try {
      this.brackets.end();
    } finally {
      this.delivering = false;
      this.flushDueAfterFrame();
    }
  }

  /** Flushes every association due; one that throws (a drop listener did) does not strand the rest. */
  private flushDueAfterFrame(): void {
    const due = this.dueAfterFrame;
    const count = this.dueCount;
    this.dueCount = 0;
    let failure: { error: unknown } | undefined;
    for (let i = 0; i < count; i++) {
      const association = due[i] as PeerAssociation;
      due[i] = undefined;
      try {
        association.flushNow();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }

  private readonly deliverEnvelope = (envelope: InboundEnvelope): void => {
    this.stats.envelopesReceived++;
    try {
      this.onEnvelope(this.readingFrom, envelope);
    } catch (error) {
      this.deliveryFailed(envelope.k, error);
    }
  };

  private readonly deliverRun: RunListener = (to, frame, start, end) => {
    this.stats.envelopesReceived += end - start;
    try {
      this.onMessageRun(this.readingFrom, to, frame, start, end);
    } catch (error) {
      this.deliveryFailed(to, error);
    }
  };

  private deliveryFailed(what: string, error: unknown): void {
    this.stats.deliveryFailures++;
    this.reportCallbackError(`delivering ${what} from ${this.readingFrom}`, error);
  }
}
