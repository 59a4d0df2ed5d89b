/** Options of `awaitCondition`. */
export interface AwaitConditionOptions {
  /** Give up after this many ms. @default 3000 */
  readonly timeoutMs?: number;
  /** Check again after this many ms. @default 5 */
  readonly intervalMs?: number;
  /** Said in the error when the deadline passes. */
  readonly message?: string;
}

/**
 * Resolves as soon as `condition` returns true (checked at once, then every
 * `intervalMs`); rejects when `timeoutMs` passes first. The deadline exists only to
 * fail a broken test, never to wait for something to happen.
 */
export async function awaitCondition(condition: () => boolean | Promise<boolean>, options: AwaitConditionOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const intervalMs = options.intervalMs ?? 5;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (performance.now() >= deadline) {
      throw new Error(`awaitCondition: ${options.message ?? 'condition'} not met within ${timeoutMs} ms`);
    }
    await new Promise<void>((resolve) => setTimeout(resolve, intervalMs));
  }
}
