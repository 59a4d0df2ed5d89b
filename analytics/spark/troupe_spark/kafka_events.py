"""Troupe's Kafka event topics as a batch DataFrame or a Structured Streaming source (``spark-sql-kafka-0-10``)."""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from .payload import with_decoded_event

#: Envelope version this reader understands (header ``troupe.v``).
ENVELOPE_VERSION = "1"

#: Columns of an event-topic DataFrame, in order (``_corrupt`` follows when a schema is given).
EVENT_COLUMNS = [
    "topic",
    "partition",
    "offset",
    "key",
    "persistence_id",
    "sequence_nr",
    "timestamp",
    "writer_uuid",
    "ser_id",
    "ser_manifest",
    "event_manifest",
    "tags",
    "event",
]

_DECIMAL = "^-?[0-9]{1,18}$"
_POSITIVE = "^[1-9][0-9]{0,17}$"


def _header(name: str) -> Column:
    """The UTF-8 text of the last header called ``name``; null when the record has none (duplicates never fail the read)."""
    return F.expr(f"try_element_at(filter(headers, h -> h.key = '{name}'), -1).value").cast("string")


_HEADERS = {
    "_v": "troupe.v",
    "persistence_id": "troupe.pid",
    "_seq": "troupe.seq",
    "ser_id": "troupe.ser",
    "ser_manifest": "troupe.manifest",
    "_event_manifest": "troupe.event-manifest",
    "_tags": "troupe.tags",
    "_ts": "troupe.ts",
    "writer_uuid": "troupe.writer",
}


def _envelope(records: DataFrame) -> DataFrame:
    """Kafka source rows (key, value, topic, partition, offset, headers) to envelope columns plus ``_envelope_error``."""
    headers = records.select(
        "topic",
        "partition",
        "offset",
        F.col("key").cast("string").alias("key"),
        F.col("value").alias("payload"),
        *[_header(name).alias(column) for column, name in _HEADERS.items()],
    )
    tagged = headers.select("*", F.from_json(F.col("_tags"), "array<string>").alias("_tag_list"))
    v, seq, ts = F.col("_v"), F.col("_seq"), F.col("_ts")
    error = (
        F.when(v.isNull(), F.lit("header troupe.v is missing: not a Troupe event record"))
        .when(v != F.lit(ENVELOPE_VERSION), F.concat(F.lit("unsupported envelope version "), v))
        .when(F.col("persistence_id").isNull(), F.lit("header troupe.pid is missing"))
        .when(seq.isNull() | ~seq.rlike(_POSITIVE), F.lit("header troupe.seq is missing or not a positive integer"))
        .when(F.col("ser_id").isNull(), F.lit("header troupe.ser is missing"))
        .when(F.col("ser_manifest").isNull(), F.lit("header troupe.manifest is missing"))
        .when(ts.isNull() | ~ts.rlike(_DECIMAL), F.lit("header troupe.ts is missing or not an integer"))
        .when(F.col("writer_uuid").isNull(), F.lit("header troupe.writer is missing"))
        .when(F.col("_tags").isNull() | F.col("_tag_list").isNull(), F.lit("header troupe.tags is missing or not a JSON array of strings"))
    )
    return tagged.select(
        "topic",
        "partition",
        "offset",
        "key",
        "persistence_id",
        F.when(seq.rlike(_POSITIVE), seq.cast("long")).alias("sequence_nr"),
        F.when(ts.rlike(_DECIMAL), ts.cast("long")).alias("timestamp"),
        "writer_uuid",
        "ser_id",
        "ser_manifest",
        F.coalesce(F.col("_event_manifest"), F.lit("")).alias("event_manifest"),
        F.coalesce(F.col("_tag_list"), F.array().cast("array<string>")).alias("tags"),
        "payload",
        error.alias("_envelope_error"),
    )


def _decode(records: DataFrame, schema: Optional[StructType]) -> DataFrame:
    envelope = _envelope(records)
    if schema is None:
        return envelope.withColumnRenamed("payload", "event").drop("_envelope_error").select(*EVENT_COLUMNS)
    decoded = with_decoded_event(envelope, schema, reasons=[F.col("_envelope_error")])
    return decoded.select(*EVENT_COLUMNS, "_corrupt")


def _source_options(brokers: str | Sequence[str], topics: str | Sequence[str], options: Optional[Mapping[str, str]]) -> dict[str, str]:
    servers = brokers if isinstance(brokers, str) else ",".join(brokers)
    names = [topics] if isinstance(topics, str) else list(topics)
    if not servers:
        raise ValueError("brokers must name at least one host:port")
    if not names or any(not name for name in names):
        raise ValueError("topics must be a non-empty list of topic names")
    merged = {"kafka.bootstrap.servers": servers, "subscribe": ",".join(names), "includeHeaders": "true", "startingOffsets": "earliest"}
    merged.update(options or {})
    return merged


def kafka_event_table(
    spark: SparkSession,
    brokers: str | Sequence[str],
    topics: str | Sequence[str] = "events",
    schema: Optional[StructType] = None,
    options: Optional[Mapping[str, str]] = None,
) -> DataFrame:
    """
    The events of Troupe event topics (``events``, or your mapper's) as a batch DataFrame,
    from the earliest offset to the latest when the read starts:
    ``topic, partition, offset, key, persistence_id, sequence_nr, timestamp, writer_uuid,
    ser_id, ser_manifest, event_manifest, tags, event[, _corrupt]``.

    The envelope headers (``troupe.pid``, ``troupe.seq``, …) become columns; with ``schema``
    the JSON payload becomes the struct ``event``, and a record that is no valid event (a
    header missing or malformed, bytes that do not decode) keeps its topic, partition, offset
    and key and says why in ``_corrupt``. ``options`` are passed to Spark's Kafka source
    (e.g. ``startingOffsets``, ``endingOffsets``, ``kafka.security.protocol``).

    Event topics only: journal topics (``journal-<id>``) also hold fences, start markers and
    records refused by the history rule, and telling those apart needs the record-batch
    boundaries, which Spark's Kafka source does not expose (docs/data-contract.md).
    """
    return _decode(spark.read.format("kafka").options(**_source_options(brokers, topics, options)).load(), schema)


def kafka_event_stream(
    spark: SparkSession,
    brokers: str | Sequence[str],
    topics: str | Sequence[str] = "events",
    schema: Optional[StructType] = None,
    options: Optional[Mapping[str, str]] = None,
) -> DataFrame:
    """
    The same columns as ``kafka_event_table``, as a Structured Streaming source. Progress is
    kept in the query's checkpoint location (not in a consumer group): a restarted query
    with the same checkpoint resumes where it stopped. Events of one persistence id arrive in
    ``sequence_nr`` order within a partition (event topics are keyed by persistence id).
    """
    return _decode(spark.readStream.format("kafka").options(**_source_options(brokers, topics, options)).load(), schema)
