import cassandra from 'cassandra-driver';
import { type ActorRef, ActorSystem, type Logger } from '@troupe/core';
import { InMemorySnapshotStore, Persistence } from '@troupe/persistence';
import { KafkaJournal, eventTopicMapperTo } from '@troupe/persistence-kafka';
import { CassandraOffsetStore } from '@troupe/projection-cassandra';
import { KafkaEventTopicSource } from '@troupe/projection-kafka';
import { CassandraAggregationProjection, type CassandraAggregationProjectionOptions } from './cassandra-aggregation-projection.js';
import { CassandraReadModel } from './cassandra-read-model.js';
import { FeedIngestion } from './feed-ingestion.js';
import { WeatherHttpApi } from './http-api.js';
import { readStationReference } from './station-reference.js';
import type { WeatherStationEvent } from './weather-station.js';
import { WeatherStations, type WeatherStationsCommand } from './weather-stations.js';

/** Where the real services are and what the pipeline names on them. */
export interface ServicesSettings {
  /** Kafka bootstrap `host:port` list. */
  readonly brokers: readonly string[];
  /** Cassandra contact points, `host:port`. */
  readonly contactPoints: readonly string[];
  /** Keyspace of KillrWeather's tables and the projection's offset. */
  readonly keyspace: string;
  /** The event topic every station event is published to (one partition). */
  readonly topic: string;
  /** Prefix of the stations' journal topics. @default 'journal-' */
  readonly journalTopicPrefix?: string;
}

/** Options of `WeatherServicesPipeline.start`. */
export interface WeatherServicesPipelineOptions extends ServicesSettings {
  /** Run the aggregation projection in this process; false when another process runs it (`services-projection-worker.js`). @default true */
  readonly projection?: boolean;
  /** HTTP port on 127.0.0.1. @default 0 (any free port) */
  readonly port?: number;
  /** NOAA station list to load into `weather_station`. */
  readonly stationsFile?: string;
  /** @default the system's logger */
  readonly logger?: Logger;
  /** Passed to the in-process projection: called after each batch's writes, before its offset is stored (metrics such as lag). */
  readonly onBatchWritten?: CassandraAggregationProjectionOptions['onBatchWritten'];
}

/** A Cassandra client on `contactPoints`, connected (rejects naming the address when none answers). */
export async function connectCassandra(contactPoints: readonly string[]): Promise<cassandra.Client> {
  const client = new cassandra.Client({ contactPoints: [...contactPoints], localDataCenter: 'datacenter1' });
  try {
    await client.connect();
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    throw new Error(`cannot reach Cassandra at ${contactPoints.join(', ')}: ${(error as Error).message}`, { cause: error });
  }
  return client;
}

/** The weather event topic's partition 0 as a projection source. */
export function weatherEventSource(settings: Pick<ServicesSettings, 'brokers' | 'topic'>): KafkaEventTopicSource<WeatherStationEvent> {
  return KafkaEventTopicSource.create<WeatherStationEvent>({ brokers: settings.brokers, topic: settings.topic, clientId: 'weather-projection' });
}

/**
 * KillrWeather's shape on the real services, in one process: the stations journal to Kafka
 * (one journal topic per station, every event also published to the weather event topic),
 * the aggregation projection reads that topic into KillrWeather's Cassandra tables (or
 * another process does), and the HTTP API answers queries from Cassandra.
 */
export class WeatherServicesPipeline {
  private constructor(
    readonly system: ActorSystem,
    readonly stations: ActorRef<WeatherStationsCommand>,
    readonly ingestion: FeedIngestion,
    readonly client: cassandra.Client,
    readonly readModel: CassandraReadModel,
    readonly offsetStore: CassandraOffsetStore,
    readonly source: KafkaEventTopicSource<WeatherStationEvent>,
    readonly journal: KafkaJournal,
    readonly projection: CassandraAggregationProjection | undefined,
    readonly api: WeatherHttpApi,
  ) {}

  /** Connects to both services, creates what is missing, starts everything; resolves when the HTTP API listens. */
  static async start(options: WeatherServicesPipelineOptions): Promise<WeatherServicesPipeline> {
    const client = await connectCassandra(options.contactPoints);
    const readModel = await CassandraReadModel.open(client, options.keyspace);
    const offsetStore = await CassandraOffsetStore.create({ client, keyspace: options.keyspace });
    if (options.stationsFile !== undefined) await readModel.saveStations(readStationReference(options.stationsFile));
    const journal = await KafkaJournal.connect({
      brokers: [...options.brokers],
      clientId: 'weather',
      ...(options.journalTopicPrefix === undefined ? {} : { journalTopicPrefix: options.journalTopicPrefix }),
      eventTopicMapper: eventTopicMapperTo(options.topic),
    });
    const system = ActorSystem.create({ name: 'weather', ...(options.logger === undefined ? {} : { logger: options.logger }) });
    // Stations keep no snapshots: a year of hourly readings replays from Kafka in well under a second.
    Persistence.configure(system, { journals: { default: journal }, snapshotStores: { default: new InMemorySnapshotStore() } });
    const source = weatherEventSource(options);
    const projection =
      options.projection === false
        ? undefined
        : CassandraAggregationProjection.start({
            system,
            source,
            offsetStore,
            readModel,
            ...(options.onBatchWritten === undefined ? {} : { onBatchWritten: options.onBatchWritten }),
          });
    const stations = system.spawn(() => new WeatherStations(), { name: 'stations' });
    const ingestion = new FeedIngestion(stations);
    const api = await WeatherHttpApi.listen({ ingestion, queries: readModel, ...(options.port === undefined ? {} : { port: options.port }) });
    return new WeatherServicesPipeline(system, stations, ingestion, client, readModel, offsetStore, source, journal, projection, api);
  }

  /** The projection offset of the last event published to the weather topic (0 when none). */
  lastEventOffset(): Promise<number> {
    return this.source.endOffset();
  }

  /** Stops the API, the projection and the system; closes the journal and the Cassandra client. */
  async stop(): Promise<void> {
    await this.api.close();
    await this.projection?.stop();
    await this.system.terminate();
    await this.journal.close();
    await this.client.shutdown();
  }
}
