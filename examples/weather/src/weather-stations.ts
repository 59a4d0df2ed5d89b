import { Actor, type ActorRef, SupervisorStrategy } from '@troupe/core';
import { WeatherStation, type WeatherStationCommand } from './weather-station.js';

/** A command for one station, by its id. */
export type WeatherStationsCommand = { readonly type: 'to-station'; readonly stationId: string; readonly command: WeatherStationCommand };

/**
 * Owns the stations of this node: starts each on its first command and restarts a failing
 * one with backoff (it recovers from its journal; commands wait meanwhile). This is the
 * single-node stand-in for cluster sharding: callers address a station by id only, so a
 * shard region can take this actor's place without changing them.
 */
export class WeatherStations extends Actor<WeatherStationsCommand> {
  private readonly stations = new Map<string, ActorRef<WeatherStationCommand>>();
  private readonly supervision = SupervisorStrategy.restartWithBackoff({ minBackoffMs: 100, maxBackoffMs: 5_000, randomFactor: 0.2 });

  receive(message: WeatherStationsCommand): void {
    let station = this.stations.get(message.stationId);
    if (station === undefined) {
      const { stationId } = message;
      // Actor names are path segments: the `:` of a NOAA id becomes `-`.
      station = this.context.spawn(() => new WeatherStation(stationId), { name: `station-${stationId.replace(':', '-')}`, supervision: this.supervision });
      this.stations.set(stationId, station);
    }
    station.tell(message.command);
  }
}
