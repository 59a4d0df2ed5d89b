"""Per-persistence-id order for journal DataFrames (akka-analytics' ``sortByKey()``)."""

from __future__ import annotations

from pyspark.sql import DataFrame


def sort_by_key(df: DataFrame) -> DataFrame:
    """A total order by ``(persistence_id, sequence_nr)``: one id's events in the order they were written (a global sort, one shuffle)."""
    return df.orderBy("persistence_id", "sequence_nr")


def sort_within_persistence_ids(df: DataFrame, partitions: int | None = None) -> DataFrame:
    """
    Every id's events in one Spark partition, in ``sequence_nr`` order, without a global
    sort: cheaper than ``sort_by_key`` when each id is processed on its own (``mapPartitions``,
    ``foreachPartition``). ``partitions`` defaults to ``spark.sql.shuffle.partitions``.
    """
    shuffled = df.repartition(partitions, "persistence_id") if partitions is not None else df.repartition("persistence_id")
    return shuffled.sortWithinPartitions("persistence_id", "sequence_nr")
