import { resolve } from 'node:path';
import type { ActorSystem } from '@troupe/core';
import { SerializationRegistry } from '@troupe/core';
import { PluginNotFoundError } from './errors.js';
import { JsonPayloadSerializer } from './json-payload-serializer.js';
import type { Journal } from './journal.js';
import { type BatchingOptions, JournalBatcher } from './journal-batcher.js';
import { PersistencePlugins } from './persistence-plugins.js';
import type { SnapshotStore } from './snapshot-store.js';

/** A journal given in the settings: an instance, a factory, or a registered plugin by name. */
export type JournalSetting = Journal | (() => Journal | Promise<Journal>) | { readonly plugin: string; readonly options?: unknown };
/** A snapshot store given in the settings: an instance, a factory, or a registered plugin by name. */
export type SnapshotStoreSetting = SnapshotStore | (() => SnapshotStore | Promise<SnapshotStore>) | { readonly plugin: string; readonly options?: unknown };

/** Settings of `Persistence.configure`. Every field is optional. */
export interface PersistenceSettings {
  /** Journals by id. @default { default: { plugin: 'sqlite' } } (file `.troupe-data/journal.db`) */
  readonly journals?: Readonly<Record<string, JournalSetting>>;
  /** Snapshot stores by id. @default { default: { plugin: 'sqlite' } } (file `.troupe-data/snapshots.db`) */
  readonly snapshotStores?: Readonly<Record<string, SnapshotStoreSetting>>;
  /** Journal of actors that do not name one. @default 'default' */
  readonly defaultJournal?: string;
  /** Snapshot store of actors that do not name one. @default 'default' */
  readonly defaultSnapshotStore?: string;
  /** Serializers for events and snapshots, chosen per manifest. @default JSON for everything (`JsonPayloadSerializer`) */
  readonly serialization?: SerializationRegistry;
  /** Group-commit limits, applied to every journal. */
  readonly batching?: BatchingOptions;
  /** Older snapshots tried when the newest cannot be loaded or deserialised. @default 3 */
  readonly maxSnapshotLoadAttempts?: number;
}

/** A journal in use: its id in the settings and the instance. */
export interface JournalHandle {
  readonly id: string;
  readonly journal: Journal;
}

/** The group-commit queue of each journal in use; internal to the package (not exported by index.ts). */
const batchers = new WeakMap<JournalHandle, JournalBatcher>();

/** The group-commit queue in front of `handle`'s journal. */
export function batcherOf(handle: JournalHandle): JournalBatcher {
  const batcher = batchers.get(handle);
  if (batcher === undefined) throw new TypeError('batcherOf: not a handle from Persistence.journalFor');
  return batcher;
}

const extensions = new WeakMap<ActorSystem, Persistence>();

/**
 * The persistence extension of one actor system: which journals and snapshot stores
 * exist, the default ones, and the serializers. Configure it once, before the first
 * persistent actor starts; plugins are created on first use and closed when the system
 * terminates.
 *
 * @example
 * Persistence.configure(system, {
 *   journals: { default: new SqliteJournal({ path: 'data/journal.db' }), kafka: { plugin: 'kafka', options: { brokers } } },
 *   snapshotStores: { default: new SqliteSnapshotStore({ path: 'data/snapshots.db' }) },
 * });
 */
export class Persistence {
  /** Serializers for events and snapshots. */
  readonly serialization: SerializationRegistry;
  /** Id of the journal used when an actor names none. */
  readonly defaultJournal: string;
  /** Id of the snapshot store used when an actor names none. */
  readonly defaultSnapshotStore: string;
  /** Older snapshots tried when the newest cannot be loaded. */
  readonly maxSnapshotLoadAttempts: number;
  private readonly journalSettings: Readonly<Record<string, JournalSetting>>;
  private readonly snapshotStoreSettings: Readonly<Record<string, SnapshotStoreSetting>>;
  private readonly journals = new Map<string, Promise<JournalHandle>>();
  private readonly snapshotStores = new Map<string, Promise<SnapshotStore>>();
  private readonly batching: BatchingOptions;

  private constructor(
    private readonly system: ActorSystem,
    settings: PersistenceSettings,
  ) {
    // Durable by default (an app that forgets to configure must not lose data); tests
    // configure the in-memory plugins explicitly.
    this.journalSettings = settings.journals ?? { default: { plugin: 'sqlite' } };
    this.snapshotStoreSettings = settings.snapshotStores ?? { default: { plugin: 'sqlite' } };
    this.defaultJournal = settings.defaultJournal ?? 'default';
    this.defaultSnapshotStore = settings.defaultSnapshotStore ?? 'default';
    this.serialization = settings.serialization ?? new SerializationRegistry(new JsonPayloadSerializer());
    this.batching = settings.batching ?? {};
    this.maxSnapshotLoadAttempts = settings.maxSnapshotLoadAttempts ?? 3;
    if (!(this.serialization instanceof SerializationRegistry)) throw new TypeError('Persistence: serialization must be a SerializationRegistry');
    if (!(Number.isInteger(this.maxSnapshotLoadAttempts) && this.maxSnapshotLoadAttempts > 0)) {
      throw new RangeError(`Persistence: maxSnapshotLoadAttempts must be a positive integer, got ${this.maxSnapshotLoadAttempts}`);
    }
    for (const [id, setting] of Object.entries(this.journalSettings)) checkSetting('journals', id, setting, PersistencePlugins.journalNames());
    for (const [id, setting] of Object.entries(this.snapshotStoreSettings)) checkSetting('snapshotStores', id, setting, PersistencePlugins.snapshotStoreNames());
    if (!(this.defaultJournal in this.journalSettings))
      throw new TypeError(`Persistence: defaultJournal "${this.defaultJournal}" is not among journals (${Object.keys(this.journalSettings).join(', ')})`);
    if (!(this.defaultSnapshotStore in this.snapshotStoreSettings)) {
      throw new TypeError(`Persistence: defaultSnapshotStore "${this.defaultSnapshotStore}" is not among snapshotStores (${Object.keys(this.snapshotStoreSettings).join(', ')})`);
    }
    system.whenTerminated.then(
      () => this.close(),
      () => this.close(),
    );
  }

  /**
   * Sets the persistence settings of `system`. Call it once, before any persistent actor
   * starts. @throws TypeError when already configured or used, or naming a bad setting
   */
  static configure(system: ActorSystem, settings: PersistenceSettings = {}): Persistence {
    if (extensions.has(system)) throw new TypeError(`Persistence.configure: system "${system.name}" is already configured (configure it before the first persistent actor starts)`);
    const persistence = new Persistence(system, settings);
    extensions.set(system, persistence);
    return persistence;
  }

  /**
   * The extension of `system`; configured with the defaults (embedded SQLite in `.troupe-data/` of the working
   * directory) if `configure` was never called, which is logged once per system at warn level.
   */
  static get(system: ActorSystem): Persistence {
    let persistence = extensions.get(system);
    if (persistence === undefined) {
      persistence = new Persistence(system, {});
      extensions.set(system, persistence);
      // Warn, not info: the default logger hides info, and these files outlive the process.
      system.log.warn(
        `persistence of "${system.name}" is not configured: writing the embedded SQLite journal and snapshot store to ${resolve('.troupe-data')}/ (call Persistence.configure(system, { journals, snapshotStores }) before the first persistent actor starts to choose)`,
      );
    }
    return persistence;
  }

  /** Ids of the configured journals. */
  get journalIds(): string[] {
    return Object.keys(this.journalSettings);
  }

  /** The journal registered as `id` (default: the default journal), created on first use. */
  journalFor(id: string = this.defaultJournal): Promise<JournalHandle> {
    let handle = this.journals.get(id);
    if (handle === undefined) {
      const setting = this.journalSettings[id];
      if (setting === undefined) return Promise.reject(new PluginNotFoundError('journal', id, this.journalIds));
      handle = instantiate(setting, PersistencePlugins.journal, isJournal).then((journal) => {
        const created: JournalHandle = { id, journal };
        batchers.set(created, new JournalBatcher(id, journal, this.batching));
        return created;
      });
      this.journals.set(id, handle);
      // A failed creation is retried on the next use (e.g. after a backoff restart).
      handle.catch(() => this.journals.delete(id));
    }
    return handle;
  }

  /** The snapshot store registered as `id` (default: the default one), created on first use. */
  snapshotStoreFor(id: string = this.defaultSnapshotStore): Promise<SnapshotStore> {
    let store = this.snapshotStores.get(id);
    if (store === undefined) {
      const setting = this.snapshotStoreSettings[id];
      if (setting === undefined) return Promise.reject(new PluginNotFoundError('snapshot store', id, Object.keys(this.snapshotStoreSettings)));
      store = instantiate(setting, PersistencePlugins.snapshotStore, isSnapshotStore);
      this.snapshotStores.set(id, store);
      store.catch(() => this.snapshotStores.delete(id));
    }
    return store;
  }

  /** Closes every plugin created so far. Runs by itself when the system terminates. */
  async close(): Promise<void> {
    const journals = [...this.journals.values()];
    const stores = [...this.snapshotStores.values()];
    this.journals.clear();
    this.snapshotStores.clear();
    const closing = [...journals.map((h) => h.then((handle) => handle.journal.close?.())), ...stores.map((s) => s.then((store) => store.close?.()))];
    for (const result of await Promise.allSettled(closing)) {
      if (result.status === 'rejected') this.system.log.warn(`closing a persistence plugin failed: ${String(result.reason)}`);
    }
  }
}

function isJournal(value: unknown): value is Journal {
  return value !== null && typeof value === 'object' && typeof (value as Journal).writeMessages === 'function' && typeof (value as Journal).replayMessages === 'function';
}

function isSnapshotStore(value: unknown): value is SnapshotStore {
  return value !== null && typeof value === 'object' && typeof (value as SnapshotStore).saveSnapshot === 'function' && typeof (value as SnapshotStore).loadSnapshot === 'function';
}

async function instantiate<T>(
  setting: T | (() => T | Promise<T>) | { readonly plugin: string; readonly options?: unknown },
  lookup: (name: string) => ((options: unknown) => T | Promise<T>) | undefined,
  is: (value: unknown) => value is T,
): Promise<T> {
  if (is(setting)) return setting;
  if (typeof setting === 'function') return await (setting as () => T | Promise<T>)();
  const { plugin, options } = setting as { plugin: string; options?: unknown };
  const factory = lookup(plugin);
  if (factory === undefined) throw new TypeError(`Persistence: no plugin registered as "${plugin}"`);
  return await factory(options);
}

function checkSetting(field: string, id: string, setting: unknown, pluginNames: readonly string[]): void {
  if (typeof setting === 'function') return;
  if (setting !== null && typeof setting === 'object') {
    const plugin = (setting as { plugin?: unknown }).plugin;
    if (plugin === undefined) return; // an instance; checked when first used
    if (typeof plugin === 'string' && pluginNames.includes(plugin)) return;
    throw new TypeError(`Persistence: ${field}.${id}.plugin "${String(plugin)}" is not registered (registered: ${pluginNames.join(', ')})`);
  }
  throw new TypeError(`Persistence: ${field}.${id} must be an instance, a factory function or { plugin, options }`);
}
