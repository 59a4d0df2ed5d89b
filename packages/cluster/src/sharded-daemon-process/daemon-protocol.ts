/**
 * What the sharded entity wrapping a daemon instance receives: keep-alive pings from
 * the keep-alive nodes (through sharding, so a ping starts an instance that is not
 * running), the stop sharding sends on handoff, and the death of the instance itself.
 */
export type DaemonMessage = { readonly t: 'sdp-keep-alive' } | { readonly t: 'sdp-stop' } | { readonly t: 'sdp-instance-stopped' };

/** The keep-alive ping (one shared value: it carries nothing). */
export const KEEP_ALIVE: DaemonMessage = Object.freeze({ t: 'sdp-keep-alive' });

/** Sharding's `stopMessage` of a daemon's entity type. */
export const STOP: DaemonMessage = Object.freeze({ t: 'sdp-stop' });

/** The sharding entity type of daemon process `name`. */
export function daemonTypeName(name: string): string {
  return `sharded-daemon-${name}`;
}
