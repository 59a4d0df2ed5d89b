"""
The weather example's correcting batch on Spark: daily temperature (high, low, mean) and
precipitation per station, recomputed from the stations' journal.

The event shape is examples/weather's ``WeatherStationEvent``:
``{"type": "reading-recorded", "reading": {"stationId", "year", "month", "day", "hour", "temperature", …}}``.
A later reading of an hour corrects the earlier one (the newest, by sequence number, wins),
and every figure is computed with the example's own operations in its order (sums in hour
order, mean = sum / hours), so it equals the example's ``daily-aggregates.ts`` bit for bit.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, IntegerType, StringType, StructField, StructType

from ..payload import valid_rows

#: The JSON schema of a weather station's events.
WEATHER_EVENT_SCHEMA = StructType(
    [
        StructField("type", StringType()),
        StructField(
            "reading",
            StructType(
                [
                    StructField("stationId", StringType()),
                    StructField("year", IntegerType()),
                    StructField("month", IntegerType()),
                    StructField("day", IntegerType()),
                    StructField("hour", IntegerType()),
                    StructField("temperature", DoubleType()),
                    StructField("dewPoint", DoubleType()),
                    StructField("pressure", DoubleType()),
                    StructField("windDirection", IntegerType()),
                    StructField("windSpeed", DoubleType()),
                    StructField("skyCondition", IntegerType()),
                    StructField("oneHourPrecip", DoubleType()),
                    StructField("sixHourPrecip", DoubleType()),
                ]
            ),
        ),
    ]
)

#: Columns of the result, one row per station and day.
DAILY_COLUMNS = ["station_id", "year", "month", "day", "high", "low", "mean", "hours", "precipitation"]


def latest_readings(events: DataFrame) -> DataFrame:
    """One reading per station and hour, the newest (highest ``sequence_nr`` of its persistence id): later readings correct earlier ones."""
    readings = valid_rows(events).where(F.col("event.type") == "reading-recorded").select("persistence_id", "sequence_nr", "event.reading.*")
    newest_first = Window.partitionBy("stationId", "year", "month", "day", "hour").orderBy(F.col("sequence_nr").desc(), F.col("persistence_id").desc())
    return readings.withColumn("_rank", F.row_number().over(newest_first)).where(F.col("_rank") == 1).drop("_rank")


def daily_weather(events: DataFrame) -> DataFrame:
    """
    ``station_id, year, month, day, high, low, mean, hours, precipitation`` from decoded
    weather events (``cassandra_event_table`` or ``kafka_event_table`` with
    ``WEATHER_EVENT_SCHEMA``). ``high``, ``low`` and ``mean`` are °C over the hours that have
    a temperature (null when none has; ``hours`` counts them); ``precipitation`` is the sum
    of the hours' one-hour precipitation in mm. Rows with ``_corrupt`` set are not counted
    (find them with ``rejected_rows``).
    """
    hours = F.array_sort(F.collect_list(F.struct("hour", "temperature", "oneHourPrecip")))
    days = latest_readings(events).groupBy(F.col("stationId").alias("station_id"), "year", "month", "day").agg(hours.alias("_hours"))
    measured = F.filter(F.col("_hours"), lambda h: h["temperature"].isNotNull())
    # Sums folded in hour order from 0, as daily-aggregates.ts does: equal to the last bit.
    temperature_sum = F.aggregate(measured, F.lit(0.0), lambda acc, h: acc + h["temperature"])
    precipitation = F.aggregate(F.col("_hours"), F.lit(0.0), lambda acc, h: acc + h["oneHourPrecip"])
    count = F.size(measured)
    return days.select(
        "station_id",
        "year",
        "month",
        "day",
        F.when(count > 0, F.array_max(F.transform(measured, lambda h: h["temperature"]))).alias("high"),
        F.when(count > 0, F.array_min(F.transform(measured, lambda h: h["temperature"]))).alias("low"),
        F.when(count > 0, temperature_sum / count).alias("mean"),
        count.alias("hours"),
        precipitation.alias("precipitation"),
    )
