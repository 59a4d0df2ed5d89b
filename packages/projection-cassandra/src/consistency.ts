import cassandra from 'cassandra-driver';

/** The consistency levels a sink or offset store may use. */
export type SinkConsistency = 'ONE' | 'LOCAL_ONE' | 'QUORUM' | 'LOCAL_QUORUM' | 'ALL';

const LEVELS: Record<SinkConsistency, number> = {
  ONE: cassandra.types.consistencies.one,
  LOCAL_ONE: cassandra.types.consistencies.localOne,
  QUORUM: cassandra.types.consistencies.quorum,
  LOCAL_QUORUM: cassandra.types.consistencies.localQuorum,
  ALL: cassandra.types.consistencies.all,
};

/** The driver's code of `level`. @throws TypeError naming `owner` and `field` */
export function consistencyOf(owner: string, field: string, level: unknown): number {
  const code = typeof level === 'string' ? LEVELS[level as SinkConsistency] : undefined;
  if (code === undefined) throw new TypeError(`${owner}: ${field} must be one of ${Object.keys(LEVELS).join(', ')}, got ${JSON.stringify(level)}`);
  return code;
}
