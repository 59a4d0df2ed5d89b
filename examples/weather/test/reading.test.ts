import { describe, expect, it } from 'vitest';
import { parseReadingLine, validateReading } from '../src/reading.js';

const GOOD = '725030:14732,2008,01,01,00,5.0,-3.9,1020.4,270,4.6,2,0.0,0.0';
/** GOOD with field `index` (0-based) replaced by `value`. */
const withField = (index: number, value: string): string =>
  GOOD.split(',')
    .map((f, i) => (i === index ? value : f))
    .join(',');

describe('parseReadingLine', () => {
  it('parses a line of the NOAA feed into a reading with numbers', () => {
    expect(parseReadingLine(GOOD)).toEqual({
      ok: true,
      reading: {
        stationId: '725030:14732',
        year: 2008,
        month: 1,
        day: 1,
        hour: 0,
        temperature: 5,
        dewPoint: -3.9,
        pressure: 1020.4,
        windDirection: 270,
        windSpeed: 4.6,
        skyCondition: 2,
        oneHourPrecip: 0,
        sixHourPrecip: 0,
      },
    });
  });

  it('reads an hour without an observation (dew point 999.9, zeros elsewhere) as absent temperature, dew point and pressure', () => {
    const result = parseReadingLine('724940:23234,2008,01,01,08,0.0,999.9,0.0,0,0.0,2,0.0,0.0');
    expect(result).toMatchObject({ ok: true, reading: { temperature: null, dewPoint: null, pressure: null } });
  });

  it('keeps a real 0.0 °C when the dew point is present, and reads a 0.0 pressure alone as absent', () => {
    expect(parseReadingLine(withField(5, '0.0'))).toMatchObject({ ok: true, reading: { temperature: 0, dewPoint: -3.9 } });
    expect(parseReadingLine(withField(7, '0.0'))).toMatchObject({ ok: true, reading: { temperature: 5, pressure: null } });
  });

  it('counts a trace of precipitation (-0.1) as 0 mm', () => {
    expect(parseReadingLine(withField(11, '-0.1'))).toMatchObject({ ok: true, reading: { oneHourPrecip: 0 } });
    expect(parseReadingLine(withField(12, '-0.1'))).toMatchObject({ ok: true, reading: { sixHourPrecip: 0 } });
  });

  it('accepts spaces around fields and a carriage return at the end', () => {
    expect(parseReadingLine(`${GOOD.replace(',5.0,', ', 5.0 ,')}\r`)).toMatchObject({ ok: true, reading: { temperature: 5, sixHourPrecip: 0 } });
  });

  it.each([
    ['too few fields', '725030:14732,2008,01,01,00,5.0', 'expected 13 comma-separated fields, got 6'],
    ['too many fields', `${GOOD},1`, 'expected 13 comma-separated fields, got 14'],
    ['an empty field', withField(5, ''), 'temperature must be a decimal number, got ""'],
    ['text for a number', withField(8, 'NW'), 'wind_direction must be a whole number, got "NW"'],
    ['a fractional hour', withField(4, '1.5'), 'hour must be a whole number, got "1.5"'],
    ['a bad station id', withField(0, '725030-14732'), 'stationId must be USAF:WBAN (6 and 5 digits, e.g. "725030:14732"), got "725030-14732"'],
    ['month 13', withField(2, '13'), 'month must be between 1 and 12, got 13'],
    ['hour 24', withField(4, '24'), 'hour must be between 0 and 23, got 24'],
    ['30 February', `${withField(2, '02').replace('2008,02,01', '2008,02,30')}`, 'day must be between 1 and 29, got 30 (2008-02 has 29 days)'],
    ['29 February of a common year', withField(1, '2007').replace('2007,01,01', '2007,02,29'), 'day must be between 1 and 28, got 29 (2007-02 has 28 days)'],
    ['an impossible temperature', withField(5, '75.0'), 'temperature must be between -90 and 60, got 75 (or null when absent)'],
    ['negative precipitation other than a trace', withField(11, '-2.0'), 'oneHourPrecip must be between 0 and 500, got -2'],
    ['a wind direction past 360', withField(8, '400'), 'windDirection must be between 0 and 360, got 400'],
    ['a sky code past 9', withField(10, '12'), 'skyCondition must be between 0 and 9, got 12'],
  ])('refuses %s, saying why', (_, line, reason) => {
    expect(parseReadingLine(line)).toEqual({ ok: false, reason });
  });
});

describe('validateReading', () => {
  const reading = (parseReadingLine(GOOD) as { reading: object }).reading;

  it('accepts a reading object and keeps only the known fields', () => {
    expect(validateReading({ ...reading, extra: 'dropped' })).toEqual({ ok: true, reading });
  });

  it('accepts null for the fields that may be absent', () => {
    expect(validateReading({ ...reading, temperature: null, dewPoint: null, pressure: null })).toMatchObject({ ok: true });
  });

  it.each([
    ['not an object', [1, 2], 'a reading must be a JSON object'],
    ['a missing field', { ...reading, windSpeed: undefined }, 'windSpeed must be a number, got nothing'],
    ['a string number', { ...reading, year: '2008' }, 'year must be a number, got "2008"'],
    ['null where a value is required', { ...reading, hour: null }, 'hour must be a number, got null'],
  ])('refuses %s', (_, input, reason) => {
    expect(validateReading(input)).toEqual({ ok: false, reason });
  });
});
