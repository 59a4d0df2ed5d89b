"""
Per-account figures of the bank example's journal: events per persistence id and the
latest balance, from examples/bank's ``AccountEvent``
(``{"type": "deposited" | "withdrawn", "amount": <cents>}``).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType

#: The JSON schema of an account's events.
ACCOUNT_EVENT_SCHEMA = StructType([StructField("type", StringType()), StructField("amount", LongType())])

#: Columns of the result, one row per persistence id.
ACCOUNT_COLUMNS = ["persistence_id", "events", "balance", "last_sequence_nr", "rejected"]


def account_balances(events: DataFrame) -> DataFrame:
    """
    ``persistence_id, events, balance, last_sequence_nr, rejected`` from decoded account
    events (``cassandra_event_table`` or ``kafka_event_table`` with ``ACCOUNT_EVENT_SCHEMA``):
    ``events`` counts the decoded events, ``balance`` is deposits minus withdrawals in cents
    after the last one, ``rejected`` counts the id's rows whose bytes did not decode (they
    are left out of the balance, and listed by ``rejected_rows``).
    """
    ok = F.col("_corrupt").isNull()
    signed = F.when(F.col("event.type") == "deposited", F.col("event.amount")).when(F.col("event.type") == "withdrawn", -F.col("event.amount")).otherwise(F.lit(0))
    return events.groupBy("persistence_id").agg(
        F.count(F.when(ok, True)).alias("events"),
        F.coalesce(F.sum(F.when(ok, signed)), F.lit(0)).cast("long").alias("balance"),
        F.max(F.when(ok, F.col("sequence_nr"))).alias("last_sequence_nr"),
        F.count(F.when(~ok, True)).alias("rejected"),
    )
