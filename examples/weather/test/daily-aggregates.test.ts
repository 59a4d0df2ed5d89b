import { describe, expect, it } from 'vitest';
import { annualPrecipitation, dailyPrecipitation, dailyTemperature, monthlyTemperature, temperatureStats } from '../src/daily-aggregates.js';
import type { Reading } from '../src/reading.js';
import { aggregatesFromReadings, compareAggregates, correctionCounts } from '../src/weather-aggregates.js';

const reading = (hour: number, temperature: number | null, oneHourPrecip = 0, day = 1): Reading => ({
  stationId: '725030:14732',
  year: 2008,
  month: 1,
  day,
  hour,
  temperature,
  dewPoint: null,
  pressure: null,
  windDirection: 0,
  windSpeed: 0,
  skyCondition: 0,
  oneHourPrecip,
  sixHourPrecip: 0,
});

describe('temperatureStats', () => {
  it('computes high, low, mean and the population variance and stdev (divided by n)', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations 9+1+1+1+0+0+4+16 = 32, / 8 = 4, stdev 2.
    expect(temperatureStats([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ high: 9, low: 2, mean: 5, variance: 4, stdev: 2, hours: 8 });
  });

  it('gives variance 0 for one hour and nothing for an empty day', () => {
    expect(temperatureStats([-3.5])).toEqual({ high: -3.5, low: -3.5, mean: -3.5, variance: 0, stdev: 0, hours: 1 });
    expect(temperatureStats([])).toBeUndefined();
  });

  it('handles below-zero days', () => {
    // -1, -2, -6: mean -3, deviations 4 + 1 + 9 = 14, / 3.
    const stats = temperatureStats([-1, -2, -6]);
    expect(stats).toMatchObject({ high: -1, low: -6, mean: -3, hours: 3 });
    expect(stats?.variance).toBeCloseTo(14 / 3, 12);
    expect(stats?.stdev).toBeCloseTo(Math.sqrt(14 / 3), 12);
  });
});

describe('daily aggregates from readings', () => {
  it('skips hours without a temperature and sums one-hour precipitation', () => {
    const day = [reading(0, 10, 0.5), reading(1, null, 0), reading(2, 20, 1.5)];
    expect(dailyTemperature(day)).toEqual({ high: 20, low: 10, mean: 15, variance: 25, stdev: 5, hours: 2 });
    expect(dailyPrecipitation(day)).toBe(2);
  });

  it('takes a month high and low from its days, and a year from its daily sums', () => {
    expect(
      monthlyTemperature([
        { high: 3, low: -2 },
        { high: 11, low: 1 },
        { high: 7, low: -4 },
      ]),
    ).toEqual({ high: 11, low: -4 });
    expect(monthlyTemperature([])).toBeUndefined();
    expect(annualPrecipitation([1.5, 0, 2.25])).toBe(3.75);
  });
});

describe('aggregatesFromReadings', () => {
  it('lets the latest reading of an hour win and builds every table', () => {
    const aggregates = aggregatesFromReadings([reading(0, 10, 1), reading(1, 30), reading(0, 20, 2), reading(5, 4, 0, 2)]);
    expect(aggregates.dailyTemperature.get('725030:14732|2008-01-01')).toMatchObject({ high: 30, low: 20, mean: 25, hours: 2 });
    expect(aggregates.dailyPrecipitation.get('725030:14732|2008-01-01')?.precipitation).toBe(2);
    expect(aggregates.monthlyTemperature.get('725030:14732|2008-01')).toEqual({ stationId: '725030:14732', year: 2008, month: 1, high: 30, low: 4 });
    expect(aggregates.annualPrecipitation.get('725030:14732|2008')?.precipitation).toBe(2);
  });

  it('finds different, missing and extra rows when compared', () => {
    const expected = aggregatesFromReadings([reading(0, 10), reading(0, 5, 0, 2)]);
    const actual = aggregatesFromReadings([reading(0, 11), reading(0, 5, 0, 3)]);
    const counts = correctionCounts(compareAggregates(expected, actual));
    // Day 1 differs; day 2 is missing and day 3 extra (in both daily tables); the month differs; the year is equal.
    expect(counts).toEqual({ dailyTemperature: 3, dailyPrecipitation: 2, monthlyTemperature: 1, annualPrecipitation: 0 });
    expect(correctionCounts(compareAggregates(expected, expected))).toEqual({ dailyTemperature: 0, dailyPrecipitation: 0, monthlyTemperature: 0, annualPrecipitation: 0 });
  });
});
