import { randomUUID } from 'node:crypto';

/** The writer identity of one spawned actor: its uuid, and whether it has claimed the id yet. */
export interface Writer {
  readonly uuid: string;
  claimed: boolean;
}

/**
 * One writer per spawned actor (per cell), not per instance: a supervisor restart must not
 * claim the id again, or a stale incarnation whose fenced write failed (timed out) would
 * restart, claim the id back and fence the newer incarnation. Weak, so a stopped actor's
 * entry goes with its ref.
 */
const writers = new WeakMap<object, Writer>();

/** The writer identity of the spawned actor whose ref is `self`, made on first use. */
export function writerOf(self: object): Writer {
  let writer = writers.get(self);
  if (writer === undefined) {
    writer = { uuid: randomUUID(), claimed: false };
    writers.set(self, writer);
  }
  return writer;
}
