/** Published on the event stream's `singleton` topic. `epoch` is the hosting node's up number: it grows with every move, since a singleton only ever moves to a younger member. */
export type SingletonEvent =
  | { readonly type: 'singleton-started'; readonly name: string; readonly node: string; readonly epoch: number }
  | { readonly type: 'singleton-hand-over-started'; readonly name: string; readonly node: string; readonly epoch: number; readonly to: string | undefined }
  | { readonly type: 'singleton-handed-over'; readonly name: string; readonly node: string; readonly epoch: number; readonly to: string | undefined }
  | { readonly type: 'singleton-terminated'; readonly name: string; readonly node: string; readonly epoch: number };

/** The event-stream topic of singleton events. */
export const SINGLETON_TOPIC = 'singleton';

/** Where a singleton is, as the oldest member with its role answers. */
export interface SingletonLocation {
  readonly name: string;
  /** The oldest Up member with the role (where the instance runs or is about to start); undefined when there is none. */
  readonly node: string | undefined;
  /** True when the instance runs there now (false while it waits for a handover or takeover). */
  readonly running: boolean;
  /** The running instance's epoch (the host's up number), when running. */
  readonly epoch: number | undefined;
  /** Messages the host's manager holds for the instance. */
  readonly buffered: number;
}
