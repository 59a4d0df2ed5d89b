"""
Runs the Spark side of test/spark/*.test.ts in one Spark local session (one JVM start per
call): reads what the test wrote through Troupe's journals and writes every result as JSON.

    python spark_harness.py <spec.json>

spec: {"cassandra": "host:port", "kafka": "host:port,…", "out": "<dir>", "tasks": [task, …]}
task: {"name", "kind", …} with kind one of
  cassandra-events  keyspace, schema         every row of cassandra_event_table
  kafka-events      topics, schema           every row of kafka_event_table
  kafka-stream      topics, schema, checkpoint   what one availableNow run of kafka_event_stream delivers
  weather-daily     source                   daily_weather over the source
  bank-accounts     source                   account_balances over the source
source: {"cassandra": keyspace} or {"kafka": [topics]}; schema: "weather" or "bank".
Each task's rows go to <out>/<name>.json as a JSON array (binary as base64).
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from troupe_spark import cassandra_event_table, kafka_event_stream, kafka_event_table, sort_by_key, troupe_session
from troupe_spark.jobs.bank_accounts import ACCOUNT_EVENT_SCHEMA, account_balances
from troupe_spark.jobs.weather_daily import WEATHER_EVENT_SCHEMA, daily_weather

SCHEMAS = {"weather": WEATHER_EVENT_SCHEMA, "bank": ACCOUNT_EVENT_SCHEMA}


def plain(value):
    if isinstance(value, (bytes, bytearray)):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def rows_of(df):
    return [plain(row.asDict(recursive=True)) for row in df.collect()]


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    spark = troupe_session("troupe-spark-tests", cassandra_contact_point=spec.get("cassandra"))
    spark.sparkContext.setLogLevel("ERROR")
    brokers = spec.get("kafka", "")

    def source(task):
        where = task["source"]
        if "cassandra" in where:
            return cassandra_event_table(spark, where["cassandra"], SCHEMAS[task["schema"]])
        return kafka_event_table(spark, brokers, where["kafka"], SCHEMAS[task["schema"]])

    out = Path(spec["out"])
    out.mkdir(parents=True, exist_ok=True)
    for task in spec["tasks"]:
        kind = task["kind"]
        if kind == "cassandra-events":
            rows = rows_of(sort_by_key(cassandra_event_table(spark, task["keyspace"], SCHEMAS[task["schema"]])))
        elif kind == "kafka-events":
            rows = rows_of(kafka_event_table(spark, brokers, task["topics"], SCHEMAS[task["schema"]]).orderBy("topic", "partition", "offset"))
        elif kind == "kafka-stream":
            collected = []
            stream = kafka_event_stream(spark, brokers, task["topics"], SCHEMAS[task["schema"]])
            query = (
                stream.writeStream.foreachBatch(lambda batch, _id: collected.extend(rows_of(batch)))
                .option("checkpointLocation", task["checkpoint"])
                .trigger(availableNow=True)
                .start()
            )
            query.awaitTermination()
            rows = sorted(collected, key=lambda r: (r["topic"], r["partition"], r["offset"]))
        elif kind == "weather-daily":
            rows = rows_of(daily_weather(source({**task, "schema": "weather"})))
        elif kind == "bank-accounts":
            rows = rows_of(account_balances(source({**task, "schema": "bank"})))
        else:
            raise ValueError(f"unknown task kind {kind!r}")
        (out / f"{task['name']}.json").write_text(json.dumps(rows))
    spark.stop()


if __name__ == "__main__":
    main()
