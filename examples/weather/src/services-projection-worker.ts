// The aggregation projection of the Kafka + Cassandra pipeline alone, in its own process:
// it follows the weather event topic into KillrWeather's Cassandra tables.
//
// node dist/services-projection-worker.js --brokers H:P --contact-points H:P --keyspace K --topic T
//        [--until-offset N] [--crash-at-batch N] [--batch-size N]
//   --until-offset N    exit 0 once every event up to offset N is applied and its offset stored
//   --crash-at-batch N  SIGKILL this process after batch N's Cassandra writes, before its
//                       offset is stored (the crash test: the batch is applied again on restart)
// Without --until-offset it runs until SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { CassandraOffsetStore } from '@troupe/projection-cassandra';
import { CassandraAggregationProjection } from './cassandra-aggregation-projection.js';
import { CassandraReadModel } from './cassandra-read-model.js';
import { connectCassandra, weatherEventSource } from './services-pipeline.js';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string' },
    'contact-points': { type: 'string' },
    keyspace: { type: 'string' },
    topic: { type: 'string' },
    'until-offset': { type: 'string' },
    'crash-at-batch': { type: 'string' },
    'batch-size': { type: 'string' },
  },
});
const required = (name: 'brokers' | 'contact-points' | 'keyspace' | 'topic'): string => {
  const value = values[name];
  if (value === undefined || value === '') throw new TypeError(`services-projection-worker: --${name} is required`);
  return value;
};
const wholeNumber = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new TypeError(`services-projection-worker: --${name} must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
};
const brokers = required('brokers').split(',');
const contactPoints = required('contact-points').split(',');
const keyspace = required('keyspace');
const topic = required('topic');
const untilOffset = wholeNumber('until-offset', values['until-offset']);
const crashAtBatch = wholeNumber('crash-at-batch', values['crash-at-batch']);
const batchSize = wholeNumber('batch-size', values['batch-size']);

const client = await connectCassandra(contactPoints);
const readModel = await CassandraReadModel.open(client, keyspace);
const offsetStore = await CassandraOffsetStore.create({ client, keyspace });
const aggregation = CassandraAggregationProjection.start({
  source: weatherEventSource({ brokers, topic }),
  offsetStore,
  readModel,
  ...(batchSize === undefined ? {} : { groupAfterEnvelopes: batchSize }),
  ...(crashAtBatch === undefined ? {} : { onBatchWritten: (n: number) => n === crashAtBatch && process.kill(process.pid, 'SIGKILL') }),
});
const stop = async (): Promise<void> => {
  await aggregation.stop();
  const { storedOffset, handled } = aggregation.projection.status();
  await client.shutdown();
  console.log(JSON.stringify({ storedOffset: storedOffset ?? 0, handled }));
};
if (untilOffset !== undefined) {
  await aggregation.caughtUpTo(untilOffset, 300_000);
  await stop();
} else {
  const onSignal = (): void => void stop();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
