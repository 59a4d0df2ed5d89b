import { type Sample, nextTurn, perSecond } from '../core/measurement.js';
import type { Tick } from './bench-messages.js';
import type { DeliveryReport } from './delivery-counter.js';
import { type CodecName, frameCodecOf } from './frame-codec-choice.js';
import type { RemotePair } from './remote-pair.js';

/**
 * Remote tell throughput between two processes: `count` small messages in batches of
 * `batch`, one batch per event-loop turn, from this process to the remote one; the
 * rate is messages delivered ÷ the time from the first send to the receiver's report
 * (over IPC) that the last one arrived, in order.
 *
 * Troupe: `sink.tell(tick)` `batch` times per turn to a remote actor; the transport
 * sends what was told in one synchronous burst as one frame. When more than BACKLOG_LIMIT messages
 * wait in its outbound queue (the socket is above its high-water mark), the sender
 * waits, so the bounded queue (100,000 by default) never drops.
 * Raw: the same ticks, `batch` per frame, encoded with the same codec, one
 * `ws.send` per turn on a plain ws connection between the same two processes; above
 * the same 4 MiB high-water mark it waits for the socket to drain. The receiver
 * decodes each frame and counts its ticks.
 */

/** Outbound messages the Troupe sender lets queue before it waits. */
const BACKLOG_LIMIT = 50_000;
/** Socket bytes above which the raw sender waits (the transport's default `highWaterMarkBytes`). */
const HIGH_WATER_MARK = 4 * 1024 * 1024;

function checked(report: DeliveryReport, count: number, subject: string): void {
  if (report.received !== count || report.outOfOrder !== 0) throw new Error(`${subject}: received ${report.received}/${count}, ${report.outOfOrder} out of order`);
}

/** Troupe: remote `tell` to the sink actor of the running Troupe pair. */
export async function troupeTell(pair: RemotePair, count: number, batch: number): Promise<Sample> {
  const { local, sink, remoteAddress, codec } = pair.troupe;
  const dropsBefore = local.transportStats.queueOverflowDrops;
  const { delivered } = await pair.expect('troupe', count, codec);
  const start = performance.now();
  let seq = 0;
  while (seq < count) {
    const end = Math.min(count, seq + batch);
    while (seq < end) sink.tell({ type: 'tick', seq: seq++ });
    await nextTurn();
    while (local.outboundBacklog(remoteAddress) > BACKLOG_LIMIT) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const report = await delivered;
  const ms = performance.now() - start;
  checked(report, count, 'troupe');
  if (local.transportStats.queueOverflowDrops !== dropsBefore) throw new Error('troupe: the outbound queue dropped messages');
  return { rate: perSecond(count, ms) };
}

/** Raw: the same batches as frames on a plain ws connection, encoded with `codec`. */
export async function rawTell(pair: RemotePair, codecName: CodecName, count: number, batch: number): Promise<Sample> {
  const codec = frameCodecOf(codecName);
  const socket = pair.raw;
  const { delivered } = await pair.expect('raw', count, codecName);
  const start = performance.now();
  let seq = 0;
  while (seq < count) {
    const ticks: Tick[] = [];
    const end = Math.min(count, seq + batch);
    while (seq < end) ticks.push({ type: 'tick', seq: seq++ });
    const frame = codec.encode(ticks);
    if (socket.bufferedAmount > HIGH_WATER_MARK) await new Promise((resolve) => socket.send(frame, { binary: true }, resolve));
    else socket.send(frame, { binary: true });
    await nextTurn();
  }
  const report = await delivered;
  const ms = performance.now() - start;
  checked(report, count, 'raw');
  return { rate: perSecond(count, ms) };
}
