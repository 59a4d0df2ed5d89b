import nact from 'nact';
import type { CounterCommand, CounterEvent, CounterReport } from './troupe-counter.js';

/**
 * The nact side: the same counter as `TroupeCounter`, written the nact way. nact replays
 * stored events through the same function as commands (with `recovering` set), so the
 * function handles both the `add` command and the `added` event. State is the running
 * total (a number, so nothing is allocated per event); the sequence number nact keeps
 * internally is not exposed, so the function counts events itself.
 */
export function spawnNactCounter(parent: nact.ActorSystemRef, persistenceKey: string, target: number, report: CounterReport): nact.Ref<CounterCommand> {
  let sequenceNr = 0;
  const handle = async (total: number, message: CounterCommand | CounterEvent, context: nact.ActorContext<CounterCommand | CounterEvent, nact.ActorSystemRef>): Promise<number> => {
    switch (message.type) {
      case 'added':
        sequenceNr++;
        return total + message.n;
      case 'add': {
        await (context as nact.PersistentActorContext<CounterEvent, nact.ActorSystemRef>).persist({ type: 'added', n: message.n });
        sequenceNr++;
        const next = total + message.n;
        if (sequenceNr === target) report('target', next, sequenceNr);
        return next;
      }
      case 'probe':
        report('probe', total, sequenceNr);
        return total;
    }
  };
  return nact.spawnPersistent(parent, handle, persistenceKey, persistenceKey, { initialState: 0 }) as nact.Ref<CounterCommand>;
}
