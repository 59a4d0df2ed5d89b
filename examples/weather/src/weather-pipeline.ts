import { join } from 'node:path';
import { type ActorRef, ActorSystem, type Logger } from '@troupe/core';
import { InMemorySnapshotStore, Persistence, PersistenceQuery, type ReadJournal, SqliteJournal } from '@troupe/persistence';
import { AggregationProjection } from './aggregation-projection.js';
import { FeedIngestion } from './feed-ingestion.js';
import { WeatherHttpApi } from './http-api.js';
import { SqliteReadModel } from './sqlite-read-model.js';
import { readStationReference } from './station-reference.js';
import { WEATHER_TAG, type WeatherStationEvent } from './weather-station.js';
import { WeatherStations, type WeatherStationsCommand } from './weather-stations.js';

/** Options of `WeatherPipeline.start`. */
export interface WeatherPipelineOptions {
  /** Folder of `journal.db` (the stations' events) and `read-model.db` (tables and the projection's offset). */
  readonly dataDir: string;
  /** Run the aggregation projection in this process; false when another process runs it (`projection-worker.js`). @default true */
  readonly projection?: boolean;
  /** HTTP port on 127.0.0.1. @default 0 (any free port) */
  readonly port?: number;
  /** NOAA station list to load into `weather_station`. */
  readonly stationsFile?: string;
  /** How often live queries look for writes of other processes, in ms. @default 100 */
  readonly refreshIntervalMs?: number;
  /** @default the system's logger */
  readonly logger?: Logger;
}

/** The journal's and the read model's files in a data folder. */
export function pipelineFiles(dataDir: string): { readonly journal: string; readonly readModel: string } {
  return { journal: join(dataDir, 'journal.db'), readModel: join(dataDir, 'read-model.db') };
}

/**
 * The whole pipeline on the embedded default, in one process: an actor system whose
 * stations journal to SQLite, the aggregation projection into the SQLite read model (or
 * not, when a separate process runs it), and the HTTP API in front.
 */
export class WeatherPipeline {
  private constructor(
    readonly system: ActorSystem,
    readonly stations: ActorRef<WeatherStationsCommand>,
    readonly ingestion: FeedIngestion,
    /** A connection of its own for queries (WAL: it reads while the projection writes). */
    readonly readModel: SqliteReadModel,
    readonly readJournal: ReadJournal<WeatherStationEvent>,
    readonly projection: AggregationProjection | undefined,
    readonly api: WeatherHttpApi,
    readonly files: { readonly journal: string; readonly readModel: string },
  ) {}

  /** Starts everything; resolves when the HTTP API listens. */
  static async start(options: WeatherPipelineOptions): Promise<WeatherPipeline> {
    const files = pipelineFiles(options.dataDir);
    const system = ActorSystem.create({ name: 'weather', ...(options.logger === undefined ? {} : { logger: options.logger }) });
    // Stations keep no snapshots: a year of hourly readings replays in milliseconds.
    Persistence.configure(system, { journals: { default: new SqliteJournal({ path: files.journal }) }, snapshotStores: { default: new InMemorySnapshotStore() } });
    const readJournal = await PersistenceQuery.readJournalFor<WeatherStationEvent>(system, undefined, { refreshIntervalMs: options.refreshIntervalMs ?? 100 });
    const readModel = SqliteReadModel.open(files.readModel);
    if (options.stationsFile !== undefined) readModel.saveStations(readStationReference(options.stationsFile));
    const projection = options.projection === false ? undefined : AggregationProjection.start({ system, readJournal, readModelPath: files.readModel });
    const stations = system.spawn(() => new WeatherStations(), { name: 'stations' });
    const ingestion = new FeedIngestion(stations);
    const api = await WeatherHttpApi.listen({ ingestion, queries: readModel, ...(options.port === undefined ? {} : { port: options.port }) });
    return new WeatherPipeline(system, stations, ingestion, readModel, readJournal, projection, api, files);
  }

  /** The offset of the last weather event in the journal (0 when there is none). */
  async lastJournalOffset(): Promise<number> {
    let last = 0;
    for await (const envelope of this.readJournal.currentEventsByTag(WEATHER_TAG, 0)) last = envelope.offset;
    return last;
  }

  /** Stops the API, the projection and the system; closes the files. */
  async stop(): Promise<void> {
    await this.api.close();
    await this.projection?.stop();
    this.readModel.close();
    await this.system.terminate();
  }
}
