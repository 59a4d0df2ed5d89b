import type { ActorContext, ActorRef } from '@troupe/core';
import { describe, expectTypeOf, it } from 'vitest';

type WorkerMsg = { type: 'work'; n: number };
declare const context: ActorContext<{ type: 'tick' }>;

describe('ActorContext.child', () => {
  it('returns a ref that accepts no message unless the caller names the type', () => {
    expectTypeOf(context.child('worker')).toEqualTypeOf<ActorRef<never> | undefined>();
    // @ts-expect-error an untyped lookup accepts no message
    context.child('worker')?.tell({ type: 'work', n: 1 });
    // Stopping and watching need no message type.
    const found = context.child('worker');
    if (found !== undefined) {
      context.stop(found);
      context.watch(found);
    }
  });

  it('types the ref with an explicit message type', () => {
    expectTypeOf(context.child<WorkerMsg>('worker')).toEqualTypeOf<ActorRef<WorkerMsg> | undefined>();
    context.child<WorkerMsg>('worker')?.tell({ type: 'work', n: 1 });
    // @ts-expect-error not a WorkerMsg
    context.child<WorkerMsg>('worker')?.tell({ type: 'rest' });
  });
});
