/**
 * A vector clock: node address → counter. Plain immutable data; every function here
 * is pure and returns a new clock.
 */
export type VectorClock = Readonly<Record<string, number>>;

/** How two clocks relate. */
export type ClockOrdering = 'same' | 'before' | 'after' | 'concurrent';

/** The empty clock. */
export const emptyClock: VectorClock = Object.freeze({});

/** `clock` with `node`'s counter advanced by one. */
export function increment(clock: VectorClock, node: string): VectorClock {
  return { ...clock, [node]: (clock[node] ?? 0) + 1 };
}

/** The pointwise maximum: a clock that is `after` or `same` as both. */
export function mergeClocks(a: VectorClock, b: VectorClock): VectorClock {
  const merged: Record<string, number> = { ...a };
  for (const [node, counter] of Object.entries(b)) if (counter > (merged[node] ?? 0)) merged[node] = counter;
  return merged;
}

/** `a` relative to `b`: `before` means b has seen everything a has, and more. */
export function compareClocks(a: VectorClock, b: VectorClock): ClockOrdering {
  let aBigger = false;
  let bBigger = false;
  for (const node of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[node] ?? 0;
    const y = b[node] ?? 0;
    if (x > y) aBigger = true;
    else if (y > x) bBigger = true;
    if (aBigger && bBigger) return 'concurrent';
  }
  if (aBigger) return 'after';
  if (bBigger) return 'before';
  return 'same';
}

/** `clock` without the entries of `nodes` (removed members no longer advance it). */
export function pruneClock(clock: VectorClock, nodes: Iterable<string>): VectorClock {
  const pruned: Record<string, number> = { ...clock };
  for (const node of nodes) delete pruned[node];
  return pruned;
}
