import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem, DuplicateCoreError, silentLogger } from '../src/index.js';
import { assertSingleCoreCopy } from '../src/internal/single-core-copy.js';

const KEY = Symbol.for('@troupe/core:loaded-from');
const registry = globalThis as unknown as Record<symbol, string | undefined>;
const before = registry[KEY];

afterEach(() => {
  registry[KEY] = before;
});

describe('one copy of @troupe/core per process', () => {
  it('lets the same copy create systems again and again', async () => {
    delete registry[KEY];
    const a = ActorSystem.create({ logger: silentLogger });
    const b = ActorSystem.create({ logger: silentLogger });
    await Promise.all([a.terminate(), b.terminate()]);
  });

  it('refuses a system from a second copy, naming both places and the fix', () => {
    delete registry[KEY];
    assertSingleCoreCopy('file:///app/node_modules/@troupe/core/dist/actor-system.js');
    let error: unknown;
    try {
      assertSingleCoreCopy('file:///app/node_modules/some-plugin/node_modules/@troupe/core/dist/actor-system.js');
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(DuplicateCoreError);
    expect((error as DuplicateCoreError).code).toBe('ERR_DUPLICATE_CORE');
    expect((error as Error).message).toContain('file:///app/node_modules/@troupe/core/dist/actor-system.js');
    expect((error as Error).message).toContain('some-plugin/node_modules/@troupe/core');
    expect((error as Error).message).toContain('npm dedupe');
  });
});
