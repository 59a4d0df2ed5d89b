import { describe, expect, it } from 'vitest';
import { exceedsPartition, partitionNr, partitionOfWrite } from '../src/partitioning.js';

describe('partitionNr', () => {
  it('puts events 1..size in partition 0 and the next size events in partition 1', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => partitionNr(n, 3))).toEqual([0, 0, 0, 1, 1, 1, 2]);
    expect(partitionNr(500_000, 500_000)).toBe(0);
    expect(partitionNr(500_001, 500_000)).toBe(1);
  });
});

describe('partitionOfWrite', () => {
  it('keeps a write that fits in the partition of its events', () => {
    expect(partitionOfWrite(4, 6, 3)).toBe(1);
  });
  it('moves a write that would cross a boundary whole into the next partition', () => {
    expect(partitionOfWrite(3, 5, 3)).toBe(1);
    expect(partitionOfWrite(500_000, 500_001, 500_000)).toBe(1);
  });
  it('refuses a range that ends before it starts', () => {
    expect(() => partitionOfWrite(5, 4, 3)).toThrow(RangeError);
  });
});

describe('exceedsPartition', () => {
  it('allows writes of up to size events and refuses longer ones', () => {
    expect(exceedsPartition(1, 3, 3)).toBe(false);
    expect(exceedsPartition(2, 5, 3)).toBe(true);
  });
});

describe('the placement invariants readers rely on', () => {
  // Random histories of writes of 1..size events: check invariants 1 and 2 of partitioning.ts.
  it('stores each event in its own partition or the next, and leaves no empty partition below the last', () => {
    let seed = 42;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let history = 0; history < 200; history++) {
      const size = 1 + Math.floor(random() * 7);
      const placed = new Map<number, number>();
      let next = 1;
      while (next <= 60) {
        const length = 1 + Math.floor(random() * size);
        const partition = partitionOfWrite(next, next + length - 1, size);
        for (let seq = next; seq < next + length; seq++) placed.set(seq, partition);
        next += length;
      }
      const used = new Set(placed.values());
      for (const [seq, partition] of placed) expect([partitionNr(seq, size), partitionNr(seq, size) + 1]).toContain(partition);
      for (let p = 0; p <= Math.max(...used); p++) expect(used.has(p), `size ${size}: partition ${p} is empty`).toBe(true);
      // Partitions hold increasing, contiguous runs: reading them in order gives the history in order.
      const byPartition = [...placed.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]).map(([seq]) => seq);
      expect(byPartition).toEqual([...placed.keys()].sort((a, b) => a - b));
    }
  });
});
