import { describe, expect, it } from 'vitest';
import { ReadWindow } from '../src/transport/read-window.js';

/** Feeds `frames` frames of `readMs` each, one every `everyMs`, from `from`; returns the indexes of the frames after which reading paused. */
function feed(reading: ReadWindow, frames: number, readMs: number, everyMs: number, from = 0): number[] {
  const pauses: number[] = [];
  for (let i = 0; i < frames; i++) {
    const start = from + i * everyMs;
    if (reading.frameRead(start, start + readMs)) pauses.push(i);
  }
  return pauses;
}

describe('ReadWindow', () => {
  it('pauses a flooding peer after 4 ms of back-to-back reading, and starts afresh after the pause', () => {
    const reading = new ReadWindow();
    // 0.5 ms frames with ~16 µs between them (binary-exact times): the 8th frame completes the 4 ms slice.
    expect(feed(reading, 8, 0.5, 0.515625)).toEqual([7]);
    reading.reset();
    // Reading resumes at once (one event-loop turn later): a new window, not the rest of the old one.
    expect(feed(reading, 8, 0.5, 0.515625, 4.125)).toEqual([7]);
  });

  it('never pauses a peer in request–response (a few µs of reading every ~70 µs), however long it goes on', () => {
    const reading = new ReadWindow();
    expect(feed(reading, 100_000, 0.015, 0.07)).toEqual([]);
  });

  it('starts a new window after a quiet gap', () => {
    const reading = new ReadWindow();
    // 3 ms of back-to-back reading, a 2 ms gap, then 3 ms more: no window holds 4 ms.
    expect(feed(reading, 60, 0.05, 0.05)).toEqual([]);
    expect(feed(reading, 60, 0.05, 0.05, 5)).toEqual([]);
  });
});
