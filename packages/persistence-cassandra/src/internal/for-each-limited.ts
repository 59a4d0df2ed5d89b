/**
 * Runs `task` for every item with at most `limit` running at once. After the first
 * failure no new task starts; the returned Promise settles once every started task has
 * settled (so nothing is left in flight), rejecting with that first failure.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let failure: { error: unknown } | undefined;
  if (items.length <= limit) {
    // Every task starts at once anyway (a group commit's writes, usually): no worker loop,
    // one Promise less per item on the journal's write path.
    const note = (error: unknown): void => {
      failure ??= { error };
    };
    await Promise.all(items.map((item, index) => run(task, item, index).catch(note)));
    if (failure !== undefined) throw failure.error;
    return;
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        await task(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.min(limit, items.length); i++) workers.push(worker());
  await Promise.all(workers);
  if (failure !== undefined) throw failure.error;
}

/** `task(item, index)`, with a synchronous throw turned into a rejection. */
function run<T>(task: (item: T, index: number) => Promise<void>, item: T, index: number): Promise<void> {
  try {
    return task(item, index);
  } catch (error) {
    return Promise.reject(error);
  }
}
