"""A local or cluster SparkSession with the Cassandra connector and the Kafka source on its classpath."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Optional

from pyspark.sql import SparkSession

#: Where setup.sh puts the connector jars (analytics/spark/.jars).
DEFAULT_JARS_DIR = Path(__file__).resolve().parent.parent / ".jars"


def connector_jars(jars_dir: Optional[Path] = None) -> list[str]:
    """The jars setup.sh fetched: TROUPE_SPARK_JARS (comma-separated) when set, else every jar in analytics/spark/.jars."""
    listed = os.environ.get("TROUPE_SPARK_JARS", "").strip()
    if listed:
        return [jar for jar in listed.split(",") if jar]
    folder = jars_dir or DEFAULT_JARS_DIR
    jars = sorted(str(path) for path in folder.glob("*.jar"))
    if not jars:
        raise FileNotFoundError(f"no connector jars in {folder}: run analytics/spark/setup.sh (or set TROUPE_SPARK_JARS)")
    return jars


def troupe_session(
    app_name: str = "troupe-analytics",
    master: Optional[str] = None,
    cassandra_contact_point: Optional[str] = None,
    conf: Optional[Mapping[str, str]] = None,
) -> SparkSession:
    """
    A SparkSession able to read Troupe's journals.

    ``master`` defaults to ``local[2]`` (the test machines have two cores); on a cluster pass
    ``spark://host:7077`` or ``k8s://…``, or leave it ``None`` under spark-submit, which sets it.
    ``cassandra_contact_point`` is ``host:port`` of one Cassandra node (the connector finds the
    others). ``conf`` adds or overrides any Spark setting, e.g.
    ``spark.cassandra.input.split.sizeInMB``.
    """
    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    elif os.environ.get("SPARK_MASTER") is None and "spark.master" not in (conf or {}):
        builder = builder.master("local[2]")
    builder = builder.config("spark.jars", ",".join(connector_jars()))
    # Local runs: UTC so timestamps print the same everywhere, few shuffle partitions
    # (the default 200 makes every small aggregation schedule 200 tasks).
    builder = builder.config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", "8").config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
    if cassandra_contact_point is not None:
        host, _, port = cassandra_contact_point.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"cassandra_contact_point must be host:port, got {cassandra_contact_point!r}")
        builder = builder.config("spark.cassandra.connection.host", host).config("spark.cassandra.connection.port", port)
    # The connector reads at LOCAL_ONE unless told otherwise; the journal writes at QUORUM,
    # and only a quorum read is sure to see every acknowledged event (docs/data-contract.md).
    builder = builder.config("spark.cassandra.input.consistency.level", "LOCAL_QUORUM")
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
