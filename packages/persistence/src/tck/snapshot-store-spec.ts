import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SnapshotSelectionCriteria, type SnapshotStore, type StoredSnapshot } from '../snapshot-store.js';
import { freshId, text } from './tck-fixtures.js';
import type { SnapshotStoreTckOptions } from './tck-options.js';

const encoder = new TextEncoder();

function snapshot(persistenceId: string, sequenceNr: number, timestamp: number, body = `${persistenceId}@${sequenceNr}`): StoredSnapshot {
  return { persistenceId, sequenceNr, timestamp, payload: encoder.encode(body), serializerId: 'json', manifest: 'tck-state' };
}

/** Registers the snapshot-store compliance suite (Akka's SnapshotStoreSpec and more). */
export function snapshotStoreSpec(name: string, options: SnapshotStoreTckOptions): void {
  describe(`${name} (snapshot store TCK)`, () => {
    let store: SnapshotStore;
    let pid: string;
    // Snapshots at sequence numbers 10..50 with timestamps 1000..5000.
    const seqs = [10, 20, 30, 40, 50];

    beforeEach(async () => {
      store = await options.create();
      pid = freshId('snap');
      for (const seq of seqs) await store.saveSnapshot(snapshot(pid, seq, seq * 100));
    });

    afterEach(async () => {
      if (options.destroy !== undefined) await options.destroy(store);
      else await store.close?.();
    });

    const load = async (criteria: Partial<SnapshotSelectionCriteria>, id = pid): Promise<number | undefined> => (await store.loadSnapshot(id, SnapshotSelectionCriteria.of(criteria)))?.sequenceNr;

    it('loads nothing for an unknown persistence id', async () => {
      expect(await load({}, freshId('unknown'))).toBeUndefined();
    });
    it('loads nothing when the upper sequence-number bound is below every snapshot', async () => {
      expect(await load({ maxSequenceNr: 9 })).toBeUndefined();
    });
    it('loads nothing with the none criteria', async () => {
      expect(await store.loadSnapshot(pid, SnapshotSelectionCriteria.none)).toBeUndefined();
    });
    it('loads the newest snapshot with every field intact', async () => {
      const latest = await store.loadSnapshot(pid, SnapshotSelectionCriteria.latest);
      expect(latest).toBeDefined();
      expect({ ...latest, payload: text(latest!.payload) }).toEqual({ ...snapshot(pid, 50, 5000), payload: `${pid}@50` });
    });
    it('loads the newest snapshot within an upper sequence-number bound', async () => {
      expect(await load({ maxSequenceNr: 35 })).toBe(30);
      expect(await load({ maxSequenceNr: 30 })).toBe(30);
    });
    it('loads the newest snapshot within upper sequence-number and timestamp bounds', async () => {
      expect(await load({ maxSequenceNr: 40, maxTimestamp: 2000 })).toBe(20);
    });
    it('loads the newest snapshot within lower bounds', async () => {
      expect(await load({ minSequenceNr: 60 })).toBeUndefined();
      expect(await load({ maxSequenceNr: 25, minTimestamp: 2500 })).toBeUndefined();
      expect(await load({ minSequenceNr: 20, maxTimestamp: 3000 })).toBe(30);
    });
    it('deletes a single snapshot', async () => {
      await store.deleteSnapshot(pid, 50);
      expect(await load({})).toBe(40);
      await store.deleteSnapshot(pid, 50);
      await store.deleteSnapshot(pid, 30);
      expect(await load({ maxSequenceNr: 35 })).toBe(20);
    });
    it('deletes the snapshots matching criteria', async () => {
      await store.deleteSnapshots(pid, SnapshotSelectionCriteria.of({ maxSequenceNr: 30 }));
      expect(await load({ maxSequenceNr: 35 })).toBeUndefined();
      expect(await load({})).toBe(50);
    });
    it('does not delete snapshots outside a timestamp bound', async () => {
      await store.deleteSnapshots(pid, SnapshotSelectionCriteria.of({ maxSequenceNr: 40, maxTimestamp: 1500 }));
      expect(await load({ maxSequenceNr: 10 })).toBeUndefined();
      expect(await load({ maxSequenceNr: 40 })).toBe(40);
      expect(await load({ maxSequenceNr: 20 })).toBe(20);
    });
    it('replaces a snapshot saved again at the same sequence number', async () => {
      await store.saveSnapshot(snapshot(pid, 50, 6000, 'replaced'));
      const latest = await store.loadSnapshot(pid, SnapshotSelectionCriteria.latest);
      expect(text(latest!.payload)).toBe('replaced');
      expect(latest!.timestamp).toBe(6000);
    });
    it('keeps persistence ids apart', async () => {
      const other = freshId('snap');
      await store.saveSnapshot(snapshot(other, 5, 100));
      await store.deleteSnapshots(pid, SnapshotSelectionCriteria.latest);
      expect(await load({})).toBeUndefined();
      expect(await load({}, other)).toBe(5);
    });
    it.skipIf(options.reopen === undefined)('keeps snapshots and deletions across close and reopen', async () => {
      await store.deleteSnapshot(pid, 50);
      store = await (options.reopen as NonNullable<SnapshotStoreTckOptions['reopen']>)(store);
      expect(await load({})).toBe(40);
      expect(text((await store.loadSnapshot(pid, SnapshotSelectionCriteria.latest))!.payload)).toBe(`${pid}@40`);
    });
    it('round-trips a large snapshot byte for byte', async () => {
      const size = options.largePayloadBytes ?? 1024 * 1024;
      const payload = new Uint8Array(size);
      for (let i = 0; i < size; i++) payload[i] = (i * 13 + 1) & 0xff;
      const id = freshId('snap');
      await store.saveSnapshot({ ...snapshot(id, 1, 1), payload });
      const back = await store.loadSnapshot(id, SnapshotSelectionCriteria.latest);
      expect(Buffer.from(back!.payload).equals(Buffer.from(payload))).toBe(true);
    });
  });
}
