/**
 * The receptionist's state as plain immutable data with pure functions: for each node,
 * the registrations it owns (service key → actor paths) and the version of them it last
 * published. Only a node changes its own registrations (each change bumps its version);
 * every other node holds a replica that it replaces with a newer full state, advances
 * with the next delta in sequence, or drops when the node leaves the membership.
 */

/** `[service key name, actor path]`. */
export type Registration = readonly [key: string, path: string];

/** One node's registrations and their version (0 before its first change). */
export interface NodeRegistrations {
  readonly version: number;
  /** Service key name → actor paths; no empty sets. */
  readonly services: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Every node's registrations, by node address. */
export type ServiceRegistry = ReadonlyMap<string, NodeRegistrations>;

/** A change a node made to its own registrations: what it sends every other node. */
export interface RegistryDelta {
  readonly version: number;
  readonly added: readonly Registration[];
  readonly removed: readonly Registration[];
}

/** What became of a replicated delta: applied, already seen, or ahead of what this node has (it needs the full state). */
export type DeltaOutcome = 'applied' | 'stale' | 'gap';

/** A registry and the service keys whose listing a step changed. */
export interface RegistryStep<Extra = object> {
  readonly registry: ServiceRegistry;
  readonly changedKeys: ReadonlySet<string>;
  readonly extra: Extra;
}

const NOTHING: ReadonlySet<string> = new Set();
const NO_SERVICES: NodeRegistrations = { version: 0, services: new Map() };

/** The empty registry. */
export const EMPTY_REGISTRY: ServiceRegistry = new Map();

/** The version of `node`'s registrations held here (0 when none). */
export function versionOf(registry: ServiceRegistry, node: string): number {
  return registry.get(node)?.version ?? 0;
}

/** `node`'s registrations as a list, sorted by key then path. */
export function registrationsOf(registry: ServiceRegistry, node: string): Registration[] {
  const entries: Registration[] = [];
  for (const [key, paths] of registry.get(node)?.services ?? []) for (const path of paths) entries.push([key, path]);
  return entries.sort(compareRegistrations);
}

/** Every registered path of `key`, on any node, sorted and without repeats. */
export function pathsOf(registry: ServiceRegistry, key: string): string[] {
  const paths = new Set<string>();
  for (const node of registry.values()) for (const path of node.services.get(key) ?? []) paths.add(path);
  return [...paths].sort();
}

/**
 * This node (`self`) adds and removes registrations of its own. Only what changes
 * anything counts (adding a registration it has, removing one it has not, are no-ops);
 * when something changed, the version goes up by one and the delta says what changed.
 */
export function changeOwn(registry: ServiceRegistry, self: string, added: readonly Registration[], removed: readonly Registration[]): RegistryStep<{ delta: RegistryDelta | undefined }> {
  const before = registry.get(self) ?? NO_SERVICES;
  const services = new Map(before.services);
  const effectiveAdded: Registration[] = [];
  const effectiveRemoved: Registration[] = [];
  const changedKeys = new Set<string>();
  for (const [key, path] of added) {
    const paths = services.get(key);
    if (paths?.has(path) === true) continue;
    services.set(key, new Set(paths).add(path));
    effectiveAdded.push([key, path]);
    changedKeys.add(key);
  }
  for (const [key, path] of removed) {
    const paths = services.get(key);
    if (paths?.has(path) !== true) continue;
    const rest = new Set(paths);
    rest.delete(path);
    if (rest.size === 0) services.delete(key);
    else services.set(key, rest);
    effectiveRemoved.push([key, path]);
    changedKeys.add(key);
  }
  if (changedKeys.size === 0) return { registry, changedKeys: NOTHING, extra: { delta: undefined } };
  const version = before.version + 1;
  const next = new Map(registry).set(self, { version, services });
  return { registry: next, changedKeys, extra: { delta: { version, added: effectiveAdded, removed: effectiveRemoved } } };
}

/**
 * Applies `node`'s delta when it is the next one in sequence (its version is one more
 * than the version held); an older or repeated one is `stale`; a later one means deltas
 * were missed: `gap`, and the registry is unchanged (ask the node for its full state).
 */
export function applyDelta(registry: ServiceRegistry, node: string, delta: RegistryDelta): RegistryStep<{ outcome: DeltaOutcome }> {
  const held = versionOf(registry, node);
  if (delta.version <= held) return { registry, changedKeys: NOTHING, extra: { outcome: 'stale' } };
  if (delta.version > held + 1) return { registry, changedKeys: NOTHING, extra: { outcome: 'gap' } };
  // The owner sent only effective changes, so applying them to its replica is the same arithmetic.
  const step = changeOwn(registry, node, delta.added, delta.removed);
  const services = step.registry.get(node)?.services ?? new Map<string, ReadonlySet<string>>();
  return { registry: new Map(registry).set(node, { version: delta.version, services }), changedKeys: step.changedKeys, extra: { outcome: 'applied' } };
}

/** Replaces `node`'s registrations with its full state when that is newer than the one held (or none is held). */
export function applyFull(registry: ServiceRegistry, node: string, version: number, registrations: readonly Registration[]): RegistryStep<{ applied: boolean }> {
  const before = registry.get(node);
  if (before !== undefined && version <= before.version) return { registry, changedKeys: NOTHING, extra: { applied: false } };
  const services = new Map<string, Set<string>>();
  for (const [key, path] of registrations) {
    let paths = services.get(key);
    if (paths === undefined) services.set(key, (paths = new Set()));
    paths.add(path);
  }
  const after: NodeRegistrations = { version, services };
  return { registry: new Map(registry).set(node, after), changedKeys: keysThatDiffer(before ?? NO_SERVICES, after), extra: { applied: true } };
}

/** Drops the registrations of every node for which `keep` is false (nodes that left the membership). */
export function retainNodes(registry: ServiceRegistry, keep: (node: string) => boolean): RegistryStep<{ dropped: readonly string[] }> {
  const dropped = [...registry.keys()].filter((node) => !keep(node));
  if (dropped.length === 0) return { registry, changedKeys: NOTHING, extra: { dropped } };
  const next = new Map(registry);
  const changedKeys = new Set<string>();
  for (const node of dropped) {
    for (const key of registry.get(node)?.services.keys() ?? []) changedKeys.add(key);
    next.delete(node);
  }
  return { registry: next, changedKeys, extra: { dropped } };
}

function keysThatDiffer(a: NodeRegistrations, b: NodeRegistrations): ReadonlySet<string> {
  const changed = new Set<string>();
  for (const key of new Set([...a.services.keys(), ...b.services.keys()])) {
    const x = a.services.get(key);
    const y = b.services.get(key);
    if (x === undefined || y === undefined || x.size !== y.size || [...x].some((path) => !y.has(path))) changed.add(key);
  }
  return changed;
}

function compareRegistrations(a: Registration, b: Registration): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}
