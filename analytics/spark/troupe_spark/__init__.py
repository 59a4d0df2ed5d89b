"""Troupe's journals as Spark data: the Cassandra journal and Kafka event topics as DataFrames (see docs/data-contract.md)."""

from .cassandra_journal import cassandra_event_table
from .kafka_events import kafka_event_stream, kafka_event_table
from .ordering import sort_by_key, sort_within_persistence_ids
from .payload import CORRUPT_COLUMN, JSON_SERIALIZER_ID, rejected_rows, valid_rows, with_decoded_event
from .session import connector_jars, troupe_session

__all__ = [
    "CORRUPT_COLUMN",
    "JSON_SERIALIZER_ID",
    "cassandra_event_table",
    "connector_jars",
    "kafka_event_stream",
    "kafka_event_table",
    "rejected_rows",
    "sort_by_key",
    "sort_within_persistence_ids",
    "troupe_session",
    "valid_rows",
    "with_decoded_event",
]
