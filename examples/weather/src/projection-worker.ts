// The aggregation projection alone, in its own process: the stream stage of a deployment
// where ingestion and queries run elsewhere. It follows the journal in <data>/journal.db
// (written by another process) into <data>/read-model.db.
//
// node dist/projection-worker.js --data <dir> [--until-offset N] [--crash-at-batch N]
//   --until-offset N    exit 0 once every event up to journal offset N is committed
//   --crash-at-batch N  SIGKILL this process inside batch N's transaction, after its
//                       read-model writes and before the commit (the crash test)
// Without --until-offset it runs until SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { ActorSystem } from '@troupe/core';
import { InMemorySnapshotStore, Persistence, PersistenceQuery, SqliteJournal } from '@troupe/persistence';
import { AggregationProjection } from './aggregation-projection.js';
import { pipelineFiles } from './weather-pipeline.js';
import type { WeatherStationEvent } from './weather-station.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, 'until-offset': { type: 'string' }, 'crash-at-batch': { type: 'string' }, 'batch-size': { type: 'string' } } });
if (values.data === undefined) throw new TypeError('projection-worker: --data <dir> is required');
const wholeNumber = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new TypeError(`projection-worker: --${name} must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
};
const untilOffset = wholeNumber('until-offset', values['until-offset']);
const crashAtBatch = wholeNumber('crash-at-batch', values['crash-at-batch']);
const batchSize = wholeNumber('batch-size', values['batch-size']);

const files = pipelineFiles(values.data);
const system = ActorSystem.create({ name: 'weather-projection' });
Persistence.configure(system, { journals: { default: new SqliteJournal({ path: files.journal }) }, snapshotStores: { default: new InMemorySnapshotStore() } });
const readJournal = await PersistenceQuery.readJournalFor<WeatherStationEvent>(system, undefined, { refreshIntervalMs: 50 });
const aggregation = AggregationProjection.start({
  system,
  readJournal,
  readModelPath: files.readModel,
  ...(batchSize === undefined ? {} : { groupAfterEnvelopes: batchSize }),
  ...(crashAtBatch === undefined ? {} : { onBatchWritten: (n: number) => n === crashAtBatch && process.kill(process.pid, 'SIGKILL') }),
});
const stop = async (): Promise<void> => {
  const { storedOffset, handled } = aggregation.projection.status();
  await aggregation.stop();
  await system.terminate();
  console.log(JSON.stringify({ storedOffset: storedOffset ?? 0, handled }));
};
if (untilOffset !== undefined) {
  await aggregation.caughtUpTo(untilOffset, 120_000);
  await stop();
} else {
  const onSignal = (): void => void stop();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
