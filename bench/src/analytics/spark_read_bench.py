"""
The Spark side of bench:analytics: one Spark local[2] process reads each given journal
table or event topic, decodes every event's JSON and sums its amounts, and prints one JSON
line per read. The first read of each source runs in a fresh session (start-up included in
``cold_s``); the warm reads repeat it in the running session.

    python spark_read_bench.py <spec.json>
spec: {"cassandra": "host:port", "kafka": "brokers", "warm_runs": 3,
       "reads": [{"source": "cassandra", "keyspace": ks, "rows": n} | {"source": "kafka", "topic": t, "rows": n}]}
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

STARTED = time.monotonic()

from pyspark.sql import functions as F  # noqa: E402

from troupe_spark import cassandra_event_table, kafka_event_table, troupe_session  # noqa: E402
from troupe_spark.jobs.bank_accounts import ACCOUNT_EVENT_SCHEMA  # noqa: E402


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    spark = troupe_session("troupe-analytics-bench", cassandra_contact_point=spec.get("cassandra"))
    spark.sparkContext.setLogLevel("ERROR")
    session_s = time.monotonic() - STARTED
    print(json.dumps({"session_s": session_s}), flush=True)

    def read_once(read: dict) -> tuple[float, int, int]:
        t0 = time.monotonic()
        if read["source"] == "cassandra":
            events = cassandra_event_table(spark, read["keyspace"], ACCOUNT_EVENT_SCHEMA)
        else:
            events = kafka_event_table(spark, spec["kafka"], read["topic"], ACCOUNT_EVENT_SCHEMA)
        row = events.agg(F.count(F.when(F.col("_corrupt").isNull(), True)).alias("rows"), F.sum("event.amount").alias("amount")).collect()[0]
        return time.monotonic() - t0, row["rows"], row["amount"]

    for read in spec["reads"]:
        first_s, rows, amount = read_once(read)
        warm = [read_once(read)[0] for _ in range(read.get("warm_runs", 3))]
        print(json.dumps({**read, "first_s": first_s, "warm_s": sorted(warm), "rows_read": rows, "amount": amount}), flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
