/** What one observer reports about one subject. Only `unreachable` records are kept. */
export interface ReachabilityRecord {
  readonly observer: string;
  readonly subject: string;
}

/**
 * Who considers whom unreachable: observer → subject records with a version per
 * observer, so a merge keeps each observer's newest view. Immutable; pure functions.
 */
export interface Reachability {
  readonly records: readonly ReachabilityRecord[];
  readonly versions: Readonly<Record<string, number>>;
}

/** Nobody considers anybody unreachable. */
export const emptyReachability: Reachability = Object.freeze({ records: [], versions: {} });

function bump(r: Reachability, observer: string, records: readonly ReachabilityRecord[]): Reachability {
  return { records, versions: { ...r.versions, [observer]: (r.versions[observer] ?? 0) + 1 } };
}

/** `observer` now considers `subject` unreachable. */
export function markUnreachable(r: Reachability, observer: string, subject: string): Reachability {
  if (r.records.some((x) => x.observer === observer && x.subject === subject)) return r;
  return bump(r, observer, [...r.records, { observer, subject }]);
}

/** `observer` now considers `subject` reachable again. */
export function markReachable(r: Reachability, observer: string, subject: string): Reachability {
  if (!r.records.some((x) => x.observer === observer && x.subject === subject)) return r;
  return bump(
    r,
    observer,
    r.records.filter((x) => !(x.observer === observer && x.subject === subject)),
  );
}

/** Per observer, the records of whichever side has the newer version of that observer. */
export function mergeReachability(a: Reachability, b: Reachability): Reachability {
  const observers = new Set([...Object.keys(a.versions), ...Object.keys(b.versions)]);
  const versions: Record<string, number> = {};
  const records: ReachabilityRecord[] = [];
  for (const observer of observers) {
    const va = a.versions[observer] ?? 0;
    const vb = b.versions[observer] ?? 0;
    const source = vb > va ? b : a;
    versions[observer] = Math.max(va, vb);
    for (const record of source.records) if (record.observer === observer) records.push(record);
  }
  return { records, versions };
}

/** Subjects that some observer (not in `ignoredObservers`) considers unreachable. */
export function unreachableSubjects(r: Reachability, ignoredObservers: ReadonlySet<string> = new Set()): Set<string> {
  const subjects = new Set<string>();
  for (const record of r.records) if (!ignoredObservers.has(record.observer)) subjects.add(record.subject);
  return subjects;
}

/** Subjects `observer` itself considers unreachable. */
export function unreachableBy(r: Reachability, observer: string): Set<string> {
  const subjects = new Set<string>();
  for (const record of r.records) if (record.observer === observer) subjects.add(record.subject);
  return subjects;
}

/** `r` without any record, as observer or subject, of `nodes`. */
export function removeNodes(r: Reachability, nodes: ReadonlySet<string>): Reachability {
  if (nodes.size === 0) return r;
  const versions: Record<string, number> = {};
  for (const [observer, version] of Object.entries(r.versions)) if (!nodes.has(observer)) versions[observer] = version;
  return { records: r.records.filter((x) => !nodes.has(x.observer) && !nodes.has(x.subject)), versions };
}
