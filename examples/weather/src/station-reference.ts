import { readFileSync } from 'node:fs';
import type { WeatherStationInfo } from './read-model.js';

/**
 * Reads NOAA's station list (`weather_stations.csv`: id, name, country, state, call sign,
 * lat, long, elevation; no header, no quoting). A line that does not have those eight
 * fields with numeric coordinates is an error naming its line: reference data is
 * shipped with the program, so a broken file is a bug to fix, not input to skip.
 * @throws TypeError
 */
export function readStationReference(path: string): WeatherStationInfo[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const stations: WeatherStationInfo[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const f = line.split(',');
    const [id, name, countryCode, stateCode, callSign, lat, long, elevation] = f;
    const numbers = [lat, long, elevation].map(Number);
    if (f.length !== 8 || id === undefined || name === undefined || numbers.some((n) => !Number.isFinite(n))) {
      throw new TypeError(`${path}:${i + 1}: expected id,name,country,state,call sign,lat,long,elevation; got ${JSON.stringify(line)}`);
    }
    stations.push({
      id,
      name,
      countryCode: countryCode ?? '',
      stateCode: stateCode ?? '',
      callSign: callSign ?? '',
      lat: numbers[0] as number,
      long: numbers[1] as number,
      elevation: numbers[2] as number,
    });
  });
  return stations;
}
