"""Decoding event payloads: JSON bytes into a struct of a user-given schema, bad bytes into ``_corrupt``."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

#: Serializer id of Troupe's JSON serializers (core's JsonSerializer and persistence's JsonPayloadSerializer).
JSON_SERIALIZER_ID = "json"

#: The column that holds why a row's event could not be decoded, with its bytes; null for good rows.
CORRUPT_COLUMN = "_corrupt"

# from_json's corrupt-record field; its name only has to differ from the user's fields.
_PARSE_FAILURE = "_troupe_unparsed"


def corrupt_reason_of_payload(payload: Column, ser_id: Column, text: Column, parsed: Column) -> Column:
    """Why ``payload`` (written by serializer ``ser_id``; ``text`` its UTF-8 decoding, ``parsed`` that parsed by the schema) is no valid event; null when it is."""
    return (
        F.when(payload.isNull(), F.lit("no payload"))
        .when(ser_id.isNull() | (ser_id != F.lit(JSON_SERIALIZER_ID)), F.concat(F.lit("serializer "), F.coalesce(ser_id, F.lit("(none)")), F.lit(" is not json: payload left undecoded")))
        # decode() replaces malformed UTF-8 with U+FFFD, so only valid UTF-8 survives the round trip.
        .when(F.encode(text, "UTF-8") != payload, F.lit("payload is not valid UTF-8"))
        .when(parsed.isNull(), F.lit("payload is not a JSON object"))
        .when(parsed[_PARSE_FAILURE].isNotNull(), F.lit("payload is not JSON, or does not match the schema"))
    )


def with_decoded_event(df: DataFrame, schema: StructType, payload: str = "payload", ser_id: str = "ser_id", reasons: list[Column] | None = None) -> DataFrame:
    """
    Adds ``event`` (``payload`` parsed as JSON into ``schema``) and ``_corrupt``
    (``struct<reason: string, payload: binary>``) to ``df``, and drops ``payload``.

    A row whose bytes are not a JSON object matching ``schema`` (not UTF-8, not JSON, a field
    of the wrong type, another serializer), or for which one of ``reasons`` (checked first,
    in order) is not null, keeps its key columns, gets ``event = null`` and says why in
    ``_corrupt``. Nothing is dropped and nothing fails the job: filter on ``_corrupt``.
    Fields of the JSON that ``schema`` does not name are ignored; fields it names that the
    JSON lacks are null.
    """
    if not isinstance(schema, StructType):
        raise TypeError(f"schema must be a pyspark.sql.types.StructType, got {type(schema).__name__}")
    if any(field.name == _PARSE_FAILURE for field in schema.fields):
        raise ValueError(f"schema must not name a field {_PARSE_FAILURE}")
    parse_schema = StructType(list(schema.fields) + [StructField(_PARSE_FAILURE, StringType(), True)])
    others = [F.col(name) for name in df.columns if name != payload]
    # One projection per step, each naming the previous step's columns: expressions stay
    # small, so the analyser's time does not grow with every condition.
    text = df.select(*others, F.col(payload).alias("_payload"), F.decode(F.col(payload), "UTF-8").alias("_text"))
    parsed = text.select("*", F.from_json(F.col("_text"), parse_schema, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": _PARSE_FAILURE}).alias("_parsed"))
    reason = corrupt_reason_of_payload(F.col("_payload"), F.col(ser_id), F.col("_text"), F.col("_parsed"))
    for earlier in reversed(reasons or []):
        reason = F.when(earlier.isNotNull(), earlier).otherwise(reason)
    judged = parsed.select("*", reason.alias("_reason"))
    return judged.select(
        *others,
        F.when(F.col("_reason").isNull(), F.col("_parsed").dropFields(_PARSE_FAILURE)).alias("event"),
        F.when(F.col("_reason").isNotNull(), F.struct(F.col("_reason").alias("reason"), F.col("_payload").alias("payload"))).alias(CORRUPT_COLUMN),
    )


def rejected_rows(df: DataFrame) -> DataFrame:
    """The rows of a decoded DataFrame whose event could not be decoded (``_corrupt`` set)."""
    return df.where(F.col(CORRUPT_COLUMN).isNotNull())


def valid_rows(df: DataFrame) -> DataFrame:
    """The rows of a decoded DataFrame whose event was decoded."""
    return df.where(F.col(CORRUPT_COLUMN).isNull())
