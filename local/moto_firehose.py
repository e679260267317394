"""Make moto's Firehose -> S3 delivery write the object keys real Firehose writes.

moto appends ``YYYY/MM/DD/HH/`` (UTC) to the destination prefix and ignores
prefix expressions and compression. Real Firehose evaluates
``!{timestamp:<format>}`` in the stream's ``CustomTimeZone`` (and then adds no
default date path) and gzips objects when ``CompressionFormat`` is ``GZIP``.
Reports read ``events/dt=YYYY-MM-DD/`` locally as in AWS, so the local emulator
must do the same. Installed by :mod:`local.moto_server` before it serves.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Java DateTimeFormatter letters Firehose prefixes use -> strftime directives.
_DATE_PARTS = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}
_EXPRESSION = re.compile(r"!\{(timestamp|firehose):([^}]*)\}")


def _zone(name: str | None) -> dt.tzinfo:
    try:
        return ZoneInfo(name) if name else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def evaluate_prefix(prefix: str, now: dt.datetime) -> str:
    """``prefix`` with Firehose's expressions replaced; the default date path when it has none."""
    if not _EXPRESSION.search(prefix):
        sep = "" if not prefix or prefix.endswith("/") else "/"
        return f"{prefix}{sep}{now.astimezone(dt.UTC):%Y/%m/%d/%H}/"

    def replace(match: re.Match[str]) -> str:
        namespace, argument = match.groups()
        if namespace == "timestamp":
            pattern = re.sub("|".join(_DATE_PARTS), lambda m: _DATE_PARTS[m.group(0)], argument)
            return now.strftime(pattern)
        return uuid.uuid4().hex[:11] if argument == "random-string" else argument

    return _EXPRESSION.sub(replace, prefix)


def _put_s3_records(
    self: Any,
    delivery_stream_name: str,
    version_id: str,
    s3_destination: dict[str, Any],
    records: list[dict[str, bytes]],
) -> list[dict[str, str]]:
    from moto.s3.models import s3_backends

    now = dt.datetime.now(_zone(s3_destination.get("CustomTimeZone")))
    key = evaluate_prefix(s3_destination.get("Prefix", ""), now)
    key += f"{delivery_stream_name}-{version_id}-{now:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}"
    data = b"".join(record["Data"] for record in records)
    if s3_destination.get("CompressionFormat") == "GZIP":
        data, key = gzip.compress(data), key + ".gz"
    bucket = s3_destination["BucketARN"].split(":")[-1]
    s3_backends[self.account_id][self.partition].put_object(bucket, key, data)
    return [{"RecordId": uuid.uuid4().hex} for _ in records]


def install() -> None:
    """Replace moto's S3 delivery with the one above (in this process only)."""
    from moto.firehose.models import FirehoseBackend

    FirehoseBackend.put_s3_records = _put_s3_records  # type: ignore[method-assign]
