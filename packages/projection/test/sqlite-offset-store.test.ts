import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Sqlite from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { InMemoryOffsetStore, type OffsetStore, SqliteOffsetStore } from '../src/index.js';

// Vite cannot import node:sqlite; Node hands it over directly.
const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as typeof Sqlite;
const dir = mkdtempSync(join(tmpdir(), 'troupe-projection-offsets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(dir, `nested-${++files}`, 'offsets.db');

const stores: Record<string, () => { store: OffsetStore; close(): Promise<void> }> = {
  InMemoryOffsetStore: () => ({ store: new InMemoryOffsetStore(), close: () => Promise.resolve() }),
  SqliteOffsetStore: () => {
    const store = SqliteOffsetStore.open({ path: freshPath() });
    return { store, close: () => store.close() };
  },
};

for (const [name, create] of Object.entries(stores)) {
  describe(name, () => {
    it('keeps offsets per projection name and key, and forgets a cleared one', async () => {
      const { store, close } = create();
      try {
        const a = { name: 'orders', key: 'slices:0-511' };
        const b = { name: 'orders', key: 'slices:512-1023' };
        const c = { name: 'orders-v2', key: 'slices:0-511' };
        expect(await store.readOffset(a)).toBeUndefined();
        await store.saveOffset(a, 10);
        await store.saveOffset(b, 20);
        await store.saveOffset(c, 30);
        await store.saveOffset(a, 11);
        expect([await store.readOffset(a), await store.readOffset(b), await store.readOffset(c)]).toEqual([11, 20, 30]);
        await store.clearOffset(b);
        expect(await store.readOffset(b)).toBeUndefined();
        expect(() => store.saveOffset(a, 1.5)).toThrow(RangeError); // misuse throws at once
      } finally {
        await close();
      }
    });
  });
}

describe('SqliteOffsetStore', () => {
  it('creates its folder and table if missing, and keeps offsets across reopening the file', async () => {
    const path = freshPath();
    const first = SqliteOffsetStore.open({ path });
    await first.saveOffset({ name: 'p', key: 'k' }, 42);
    await first.close();
    const second = SqliteOffsetStore.open({ path });
    expect(await second.readOffset({ name: 'p', key: 'k' })).toBe(42);
    await second.close();
  });

  it('commits the work and the offset of a transaction together, and rolls both back when the work throws', async () => {
    const store = SqliteOffsetStore.open({ path: freshPath() });
    store.database.exec('CREATE TABLE sink (v INTEGER)');
    const id = { name: 'p', key: 'k' };
    await store.withTransaction((tx) => {
      tx.prepare('INSERT INTO sink VALUES (1)').run();
      store.saveOffsetIn(tx, id, 1);
    });
    await expect(
      store.withTransaction(async (tx) => {
        tx.prepare('INSERT INTO sink VALUES (2)').run();
        store.saveOffsetIn(tx, id, 2);
        await Promise.resolve();
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(store.database.prepare('SELECT v FROM sink').all()).toEqual([{ v: 1 }]);
    expect(await store.readOffset(id)).toBe(1);
    await store.close();
  });

  it('rolls back when COMMIT itself fails, so the next transaction can begin', async () => {
    const store = SqliteOffsetStore.open({ path: freshPath() });
    const db = store.database;
    db.exec('PRAGMA foreign_keys = ON');
    db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY)');
    db.exec('CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)');
    const id = { name: 'p', key: 'k' };
    // A deferred foreign key is checked at COMMIT, which then fails.
    await expect(
      store.withTransaction((tx) => {
        tx.prepare('INSERT INTO child VALUES (42)').run();
        store.saveOffsetIn(tx, id, 1);
      }),
    ).rejects.toThrow(/FOREIGN KEY constraint failed/);
    await store.withTransaction((tx) => store.saveOffsetIn(tx, id, 2));
    expect(db.prepare('SELECT count(*) AS n FROM child').get()).toEqual({ n: 0 });
    expect(await store.readOffset(id)).toBe(2);
    await store.close();
  });

  it('keeps a transaction spanning an async handler apart from offset writes queued meanwhile', async () => {
    const store = SqliteOffsetStore.open({ path: freshPath() });
    const id = { name: 'p', key: 'k' };
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tx = store.withTransaction(async () => {
      await held;
      throw new Error('rolled back');
    });
    const outside = store.saveOffset({ name: 'q', key: 'k' }, 7);
    release();
    await expect(tx).rejects.toThrow('rolled back');
    await outside;
    // Had the save run inside the open transaction, the rollback would have dropped it.
    expect(await store.readOffset({ name: 'q', key: 'k' })).toBe(7);
    expect(await store.readOffset(id)).toBeUndefined();
    await store.close();
  });

  it('reads, saves and clears offsets inside its own open transaction, rolled back with it', async () => {
    const store = SqliteOffsetStore.open({ path: freshPath() });
    store.database.exec('CREATE TABLE sink (v INTEGER)');
    const id = { name: 'p', key: 'k' };
    const other = { name: 'q', key: 'k' };
    await store.saveOffset(id, 3);
    await store.saveOffset(other, 9);
    const seen = await store.withTransaction(async (tx) => {
      const before = await store.readOffset(id);
      tx.prepare('INSERT INTO sink VALUES (?)').run(before ?? null);
      store.saveOffsetIn(tx, id, 4);
      await store.saveOffset(other, 10);
      await store.clearOffset({ name: 'r', key: 'k' });
      return [before, await store.readOffset(id), store.readOffsetIn(tx, id), await store.readOffset(other)];
    });
    expect(seen).toEqual([3, 4, 4, 10]);
    await expect(
      store.withTransaction(async (tx) => {
        await store.saveOffset(id, 5);
        expect(store.readOffsetIn(tx, id)).toBe(5);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    // The save made inside the failed transaction went with it.
    expect([await store.readOffset(id), await store.readOffset(other)]).toEqual([4, 10]);
    expect(store.database.prepare('SELECT v FROM sink').all()).toEqual([{ v: 3 }]);
    await store.close();
  });

  it('refuses a transaction inside its own transaction at once instead of waiting for itself', async () => {
    const store = SqliteOffsetStore.open({ path: freshPath() });
    await expect(store.withTransaction(() => store.withTransaction(() => 1))).rejects.toThrow(
      new TypeError('SqliteOffsetStore.withTransaction: already inside a transaction of this store; use its tx'),
    );
    expect(() => store.readOffsetIn(store.database, { name: 'p', key: 'k' })).toThrow(TypeError);
    await store.close();
  });

  it('shares a database the application opened, and leaves it open on close', async () => {
    const db = new DatabaseSync(freshPath().replace('nested-', 'plain-').replace('/offsets.db', '.db'));
    const store = SqliteOffsetStore.on(db, { tableName: 'my_offsets' });
    await store.saveOffset({ name: 'p', key: 'k' }, 5);
    await store.close();
    expect(db.prepare('SELECT current_offset AS o FROM my_offsets').get()).toEqual({ o: 5 });
    db.close();
  });

  it('rejects bad options naming the field', () => {
    expect(() => SqliteOffsetStore.open({ path: '' })).toThrow(new TypeError('SqliteOffsetStore: path must be a non-empty string'));
    expect(() => SqliteOffsetStore.open({ path: freshPath(), tableName: 'x; DROP TABLE y' })).toThrow(
      new TypeError('SqliteOffsetStore: tableName must be a SQL identifier (letters, digits, _), got "x; DROP TABLE y"'),
    );
    expect(() => SqliteOffsetStore.open({ path: freshPath(), synchronous: 'off' as 'full' })).toThrow(new TypeError("SqliteOffsetStore: synchronous must be 'normal' or 'full', got off"));
  });
});
