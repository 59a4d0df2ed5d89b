"""
Runs a job over a journal and writes its result:

    python -m troupe_spark.cli weather-daily --cassandra 127.0.0.1:19042 --keyspace weather --out daily.parquet
    python -m troupe_spark.cli bank-accounts --kafka 127.0.0.1:19092 --topics events --out balances --format json
    spark-submit --master spark://host:7077 --jars "$TROUPE_SPARK_JARS" troupe_spark/cli.py weather-daily …

Rows whose event does not decode are written beside the result (``<out>.rejected``) with
their key, reason and bytes, and counted on stdout; they never fail the job.
"""

from __future__ import annotations

import argparse
import sys

from pyspark.sql import functions as F

from .cassandra_journal import cassandra_event_table
from .jobs.bank_accounts import ACCOUNT_EVENT_SCHEMA, account_balances
from .jobs.weather_daily import WEATHER_EVENT_SCHEMA, daily_weather
from .kafka_events import kafka_event_table
from .payload import rejected_rows
from .session import troupe_session

JOBS = {"weather-daily": (WEATHER_EVENT_SCHEMA, daily_weather), "bank-accounts": (ACCOUNT_EVENT_SCHEMA, account_balances)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="troupe_spark.cli", description="Spark jobs over Troupe journals (docs/data-contract.md).")
    parser.add_argument("job", choices=sorted(JOBS))
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--cassandra", metavar="HOST:PORT", help="a Cassandra node; read the journal of --keyspace")
    source.add_argument("--kafka", metavar="BROKERS", help="bootstrap brokers; read the event topics --topics")
    parser.add_argument("--keyspace", default="troupe", help="the Cassandra journal's keyspace (default troupe)")
    parser.add_argument("--topics", default="events", help="comma-separated event topics (default events)")
    parser.add_argument("--master", default=None, help="Spark master (default local[2], or what spark-submit sets)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--format", choices=["parquet", "json", "csv"], default="parquet")
    args = parser.parse_args(argv)

    schema, job = JOBS[args.job]
    spark = troupe_session(f"troupe-{args.job}", master=args.master, cassandra_contact_point=args.cassandra)
    if args.cassandra is not None:
        events = cassandra_event_table(spark, args.keyspace, schema)
    else:
        events = kafka_event_table(spark, args.kafka, args.topics.split(","), schema)
    events = events.cache()
    job(events).write.mode("overwrite").format(args.format).save(args.out)
    rejected = rejected_rows(events).withColumn("reason", F.col("_corrupt.reason")).withColumn("payload_base64", F.base64(F.col("_corrupt.payload"))).drop("_corrupt", "event")
    count = rejected.count()
    if count > 0:
        rejected.write.mode("overwrite").format("json").save(args.out.rstrip("/") + ".rejected")
    print(f"{args.job}: result in {args.out}; {count} rejected rows" + (f" in {args.out.rstrip('/')}.rejected" if count else ""))
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
