"""The Cassandra journal as a DataFrame: akka-analytics' ``eventTable()`` for Troupe, through the DataStax connector."""

from __future__ import annotations

from typing import Optional

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from .payload import with_decoded_event

CASSANDRA_FORMAT = "org.apache.spark.sql.cassandra"

#: The event columns of the messages table (docs/data-contract.md); the static columns
#: high, sealed, fence and claim_epoch are the journal's single-writer state and never read.
EVENT_COLUMNS = ["persistence_id", "partition_nr", "sequence_nr", "timestamp", "writer_uuid", "ser_id", "ser_manifest", "event_manifest", "tags", "event"]


def cassandra_event_table(
    spark: SparkSession,
    keyspace: str,
    schema: Optional[StructType] = None,
    messages_table: str = "messages",
    metadata_table: str = "metadata",
    apply_deletions: bool = True,
) -> DataFrame:
    """
    Every stored event of a Cassandra journal, one row per event:
    ``persistence_id, partition_nr, sequence_nr, timestamp, writer_uuid, ser_id,
    ser_manifest, event_manifest, tags, event, _corrupt``.

    With ``schema``, ``event`` is the JSON payload decoded into that struct and ``_corrupt``
    holds the reason and bytes of rows that do not decode (see ``with_decoded_event``);
    without it, ``event`` is the payload's bytes and ``_corrupt`` is absent.
    ``timestamp`` is ms since the epoch (bigint); ``tags`` is never null (an empty array
    for untagged events).

    Rows come in the connector's order (token ranges: nothing is ordered across partitions);
    ``sort_by_key`` orders them as akka-analytics' ``sortByKey()`` does. Rows a partition holds
    only for its static columns (a claim, or a partition whose events were all deleted) are
    left out, and so, with ``apply_deletions``, are events at or below the id's
    ``metadata.deleted_to`` (normally already removed by the delete's range tombstone; this
    covers a delete interrupted between raising the mark and writing the tombstone).
    """
    raw = spark.read.format(CASSANDRA_FORMAT).options(keyspace=keyspace, table=messages_table).load()
    # Not `sequence_nr IS NOT NULL`: the connector takes that filter on a clustering column as
    # pushed down to Cassandra, which still returns the static-only rows, so Spark never
    # applies it. An expression it cannot push down is evaluated by Spark on every row.
    events = raw.select(*EVENT_COLUMNS).where(F.coalesce(F.col("sequence_nr"), F.lit(0)) > 0)
    if apply_deletions:
        marks = spark.read.format(CASSANDRA_FORMAT).options(keyspace=keyspace, table=metadata_table).load().select("persistence_id", F.col("deleted_to"))
        # The metadata table has one small row per id that ever deleted: broadcast, no shuffle of the events.
        events = events.join(F.broadcast(marks), on="persistence_id", how="left").where(F.col("deleted_to").isNull() | (F.col("sequence_nr") > F.col("deleted_to"))).drop("deleted_to")
    events = events.withColumn("tags", F.coalesce(F.col("tags"), F.array().cast("array<string>")))
    if schema is None:
        return events.select(*EVENT_COLUMNS)
    return with_decoded_event(events.withColumnRenamed("event", "payload"), schema).select(*EVENT_COLUMNS, "_corrupt")
