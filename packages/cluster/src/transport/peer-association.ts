import type { WebSocket } from 'ws';
import { type Envelope, isJsonMessage } from './envelope.js';
import { layOutFrame } from './frame-layout.js';
import { encodingForWire } from './wire-encoding.js';
import type { TransportSettings } from './transport-settings.js';
import type { TransportStats } from './transport-stats.js';

const SEND_BINARY = { binary: true } as const;
/** Up to this many slots, the queue's array is kept when it empties; a longer one (after a burst) is let go. */
const REUSED_QUEUE_LENGTH = 1024;

/** Why queued envelopes were dropped. */
export type DropReason = 'outbound-queue-full' | 'frame-too-large' | 'node-removed' | 'partitioned' | 'transport-closed' | 'serialization-failed' | 'invalid-address';

/** Told about every dropped envelope (`to` is the peer's node address). */
export type DropListener = (to: string, envelope: Envelope, reason: DropReason) => void;

/** What an association needs from the transport that holds it. */
export interface AssociationHost {
  /** Told about every dropped envelope. */
  readonly onDrop: DropListener;
  /** Calls `association.flushNow` soon: on a microtask, or at the end of the inbound frame being delivered. */
  requestFlush(association: PeerAssociation): void;
  /** Applied to a JSON message that leaves alone in its frame, just before it is written (see `WsTransport.writeLoneMessage`). */
  readonly writeLoneMessage: (value: unknown) => unknown;
  /** Counts and reports an error a flush threw (it runs on a microtask or at the end of a frame, where nothing may escape). */
  callbackFailed(where: string, error: unknown): void;
}

/**
 * Everything about one peer node: its bounded outbound queue and the one socket that
 * currently carries it. Envelopes queued before the microtask queue drains leave as one frame, in the
 * order queued, so per sender–receiver order holds across the wire.
 */
export class PeerAssociation {
  socket: WebSocket | undefined;
  /** An outbound connection attempt is under way. */
  connecting = false;
  reconnectTimer: NodeJS.Timeout | undefined;
  backoffMs: number;
  /** The queue: `envelopes[head, tail)`. The array is reused from frame to frame (a new one per frame was most of a quiet connection's allocation). */
  private envelopes: (Envelope | undefined)[] = [];
  private head = 0;
  private tail = 0;
  private flushScheduled = false;
  private paused = false;

  constructor(
    readonly address: string,
    private readonly settings: TransportSettings,
    private readonly stats: TransportStats,
    private readonly host: AssociationHost,
  ) {
    this.backoffMs = settings.reconnectBackoffMs.min;
  }

  /** Envelopes waiting to be sent. */
  get queued(): number {
    return this.tail - this.head;
  }

  get isConnected(): boolean {
    return this.socket !== undefined;
  }

  /** Queues `envelope`; returns false (and reports a drop) when the queue is full. */
  enqueue(envelope: Envelope): boolean {
    if (this.queued >= this.settings.outboundQueueLimit) {
      this.stats.queueOverflowDrops++;
      this.host.onDrop(this.address, envelope, 'outbound-queue-full');
      return false;
    }
    if (this.socket === undefined) {
      // It will wait for a connection (seconds, when a peer is down): serialise a JSON
      // message now, so the queue does not hold a live object that others may change.
      // (Not while paused by backpressure: that wait is short, and serialising message by
      // message would cost the most CPU exactly when the sender is overloaded.)
      const settled = this.settled(envelope);
      if (settled === undefined) return false;
      this.envelopes[this.tail++] = settled;
    } else this.envelopes[this.tail++] = envelope;
    this.scheduleFlush();
    return true;
  }

  /** `envelope` with a JSON message's value written as JSON text; undefined (and a drop) when it cannot be. */
  private settled(envelope: Envelope): Envelope | undefined {
    if (envelope.k !== 'msg' || !isJsonMessage(envelope)) return envelope;
    try {
      const text: string | undefined = encodingForWire(JSON.stringify, envelope.v);
      if (text === undefined) throw new TypeError('not JSON');
      // r: refs were written by ActorRef.toJSON wherever they were; the receiver looks for them.
      return { k: 'msg', to: envelope.to, s: 'json', m: '', t: text, r: true, original: envelope.v };
    } catch {
      this.host.onDrop(this.address, envelope, 'serialization-failed');
      return undefined;
    }
  }

  /** Starts carrying the queue over `socket`. */
  attach(socket: WebSocket): void {
    this.socket = socket;
    this.connecting = false;
    this.paused = false;
    this.backoffMs = this.settings.reconnectBackoffMs.min;
    this.scheduleFlush();
  }

  /** Drops every queued envelope with `reason`. */
  dropAll(reason: DropReason): void {
    for (let i = this.head; i < this.tail; i++) this.host.onDrop(this.address, this.envelopes[i] as Envelope, reason);
    this.clear();
  }

  scheduleFlush(): void {
    if (this.flushScheduled || this.socket === undefined || this.paused) return;
    this.flushScheduled = true;
    // Everything queued before the microtask queue drains leaves in one frame: a synchronous
    // burst, or all the messages the dispatcher's actors send in one of its runs (a run is
    // one microtask). A microtask rather than setImmediate: a lone message (an ask, a
    // reply) leaves at once instead of after the rest of the event-loop turn.
    this.host.requestFlush(this);
  }

  /** Sends what is queued now, if a flush is due (the transport calls it after an inbound frame). */
  readonly flushNow = (): void => {
    if (!this.flushScheduled) return;
    this.flushScheduled = false;
    try {
      this.flush();
    } catch (error) {
      // A drop listener threw, or the socket did: what is left stays queued for the next flush.
      this.host.callbackFailed(`flushing to ${this.address}`, error);
    }
  };

  private flush(): void {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== 1) return;
    while (this.queued > 0) {
      if (socket.bufferedAmount > this.settings.highWaterMarkBytes) {
        // The peer (or the network) is slow: stop here and resume when the socket drains.
        this.paused = true;
        this.stats.backpressurePauses++;
        this.compact();
        return;
      }
      const end = Math.min(this.tail, this.head + this.settings.maxBatchMessages);
      this.sendRange(socket, this.head, end);
      this.head = end;
    }
    this.clear();
  }

  /** Empties the queue, keeping a small array for reuse (without the envelopes: they may hold large messages). */
  private clear(): void {
    if (this.tail <= REUSED_QUEUE_LENGTH) this.envelopes.fill(undefined, 0, this.tail);
    else this.envelopes = [];
    this.head = 0;
    this.tail = 0;
  }

  /** Frees the sent prefix of the queue arrays, so a queue that never fully drains stays bounded. */
  private compact(): void {
    if (this.head < 1024) return;
    this.envelopes = this.envelopes.slice(this.head, this.tail);
    this.tail -= this.head;
    this.head = 0;
  }

  private readonly encode = (frame: unknown[]): Uint8Array => this.settings.codec.encode(frame);

  /** Encodes envelopes [from, to) into frames no larger than `maxFrameBytes`, splitting as needed. */
  private sendRange(socket: WebSocket, from: number, to: number): void {
    let frame: Uint8Array;
    try {
      frame = encodingForWire(this.encode, layOutFrame(this.envelopes, from, to, this.host.writeLoneMessage));
    } catch {
      // A message the codec cannot write (e.g. a BigInt, a cycle): halve until it is alone, drop it, send the rest.
      if (to - from === 1) {
        this.host.onDrop(this.address, this.envelopes[from] as Envelope, 'serialization-failed');
        return;
      }
      const mid = (from + to) >>> 1;
      this.sendRange(socket, from, mid);
      this.sendRange(socket, mid, to);
      return;
    }
    if (frame.byteLength > this.settings.maxFrameBytes) {
      if (to - from === 1) {
        this.stats.oversizedFrames++;
        this.host.onDrop(this.address, this.envelopes[from] as Envelope, 'frame-too-large');
        return;
      }
      const mid = (from + to) >>> 1;
      this.sendRange(socket, from, mid);
      this.sendRange(socket, mid, to);
      return;
    }
    this.stats.framesSent++;
    this.stats.envelopesSent += to - from;
    // Only a frame that leaves the socket's buffer half full or more needs to report when
    // it was written (to resume a paused queue); a write callback on every frame costs
    // a tick of its own.
    if (socket.bufferedAmount + frame.byteLength <= this.settings.highWaterMarkBytes / 2) socket.send(frame, SEND_BINARY);
    else socket.send(frame, SEND_BINARY, () => this.written(socket));
  }

  /** A frame sent near or above the high-water mark has been written: resume if the socket has drained. */
  private written(socket: WebSocket): void {
    if (this.paused && this.socket === socket && socket.bufferedAmount <= this.settings.highWaterMarkBytes / 2) {
      this.paused = false;
      this.scheduleFlush();
    }
  }
}
