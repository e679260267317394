"""``xsell import FILE --partner P --dataset D``: upload a CSV into the local drop bucket and
wait for its import job, as a partner's upload would be imported.

``xsell compaction-sql --day YYYY-MM-DD [--table T]``: print the Athena statements that compact
one day, as the nightly schedule runs them for yesterday (to catch up a day the schedule missed;
see docs/operations.md). Needs no running system.

The local system must be running (``make demo``): its dispatcher feeds the drop
bucket's queue to the importer. The command reaches the emulators through the
standard ``AWS_ENDPOINT_URL_<SERVICE>`` variables, or, when those are not set, at
the ports ``make demo`` uses (``XSELL_LOCAL_MOTO_PORT`` / ``XSELL_LOCAL_DYNAMODB_PORT``,
default 5000 / 8000).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

# Same names and defaults as local/emulators.py (the layer must not import local/).
_PORTS = {"XSELL_LOCAL_MOTO_PORT": 5000, "XSELL_LOCAL_DYNAMODB_PORT": 8000}
_MOTO_SERVICES = ("S3", "SQS", "SECRETS_MANAGER", "SSM", "FIREHOSE")

EXIT_OK, EXIT_REJECTED, EXIT_TIMEOUT, EXIT_USAGE = 0, 1, 2, 64


def _point_at_local_emulators() -> None:
    """Default the endpoints to the local emulators (only on the local stage)."""
    if os.environ.get("XSELL_STAGE", "local") != "local":
        return
    moto = os.environ.get("XSELL_LOCAL_MOTO_PORT") or str(_PORTS["XSELL_LOCAL_MOTO_PORT"])
    dynamodb = os.environ.get("XSELL_LOCAL_DYNAMODB_PORT") or str(_PORTS["XSELL_LOCAL_DYNAMODB_PORT"])
    for service in _MOTO_SERVICES:
        os.environ.setdefault(f"AWS_ENDPOINT_URL_{service}", f"http://127.0.0.1:{moto}")
    os.environ.setdefault("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{dynamodb}")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-northeast-1")


def _parser() -> argparse.ArgumentParser:
    from xsell.reporting.sql import COMPACTION

    parser = argparse.ArgumentParser(prog="xsell", description="xsell command line")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "import", help="upload a partner CSV to the drop bucket and wait for its import"
    )
    run.add_argument("file", type=Path, help="the CSV file")
    run.add_argument("--partner", required=True, help="partner id (lowercase letters, digits, _ or -)")
    run.add_argument("--dataset", required=True, help="profiles, brand_usage, optouts or erasure")
    run.add_argument("--name", help="object name in the bucket (default: the file's name)")
    run.add_argument("--bucket", help="drop bucket (default: XSELL_DROP_BUCKET or the local default)")
    run.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the job")
    run.add_argument("--errors", type=int, default=10, help="how many lines of errors.csv to print")
    sql = commands.add_parser(
        "compaction-sql", help="print the Athena statements that compact one day (to catch up a missed night)"
    )
    sql.add_argument("--day", required=True, help="the reporting day, YYYY-MM-DD (Asia/Tokyo)")
    sql.add_argument(
        "--table",
        choices=tuple(COMPACTION),
        help="only this table's statement (default: all three, in the order to run them)",
    )
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = _parser().parse_args(argv)
    if args.command == "compaction-sql":
        return compaction_sql(args.day, args.table, out)
    _point_at_local_emulators()
    # Imported only now: clients and models must see the endpoints set above.
    from xsell import env
    from xsell.errors import InvalidRequest
    from xsell.importing.presign import upload_key

    try:
        key = upload_key(args.partner, args.dataset, args.name or args.file.name)
    except InvalidRequest as exc:
        print(f"xsell import: {exc.field}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.file.is_file():
        print(f"xsell import: {args.file} is not a file", file=sys.stderr)
        return EXIT_USAGE
    bucket = args.bucket or env.get(env.DROP_BUCKET)
    return import_file(args.file, bucket, key, timeout=args.timeout, error_lines=args.errors, out=out)


def import_file(
    path: Path, bucket: str, key: str, *, timeout: float, error_lines: int = 10, out: TextIO = sys.stdout
) -> int:
    """Upload ``path`` as ``key`` and report its job; returns the process exit code."""
    from xsell.dal import aws, jobs, objects
    from xsell.importing.notifications import ObjectRef

    with path.open("rb") as body:
        put = aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/csv")
    ref = ObjectRef(bucket, key, put["ETag"], put.get("VersionId"))
    print(f"uploaded s3://{bucket}/{key} (job {ref.job_id})", file=out, flush=True)
    deadline = time.monotonic() + timeout
    shown = -1
    while True:
        job = jobs.find(ref.job_id)
        if job is not None and job.finished_at is not None:
            break
        if job is not None and job.progress_rows is not None and job.progress_rows != shown:
            shown = int(job.progress_rows)
            print(f"  … {shown} rows read", file=out, flush=True)
        if time.monotonic() > deadline:
            hint = "" if job is not None else " (nothing picked it up: is `make demo` running?)"
            print(f"xsell import: the job did not finish within {timeout:.0f}s{hint}", file=out)
            return EXIT_TIMEOUT
        time.sleep(0.5)
    print(
        f"{job.status}: {job.rows_read} rows read, {job.rows_imported} imported, "
        f"{job.rows_rejected} rejected, {job.rows_duplicate} duplicate, {job.rows_outdated} outdated"
        + (f", {job.rows_per_second:g} rows/s" if job.rows_per_second else ""),
        file=out,
    )
    if job.reason:
        print(f"  {job.reason}", file=out)
    if job.errors_key:
        print(f"errors: s3://{bucket}/{job.errors_key} ({job.errors_listed} lines)", file=out)
        report, _ = objects.open_range(bucket, job.errors_key)
        head = report.read(64 * 1024).decode("utf-8-sig", "replace").splitlines()
        for line in head[: error_lines + 1]:  # the header, then the first errors
            print(f"  {line}", file=out)
    return EXIT_OK if job.status == jobs.SUCCEEDED else EXIT_REJECTED


def compaction_sql(day: str, table: str | None, out: TextIO = sys.stdout) -> int:
    """Print the statements compacting ``day`` (each one Athena query, to run in the order printed),
    or only ``table``'s, bare."""
    import datetime as dt

    from xsell.reporting import layout, sql

    try:
        day = dt.date.fromisoformat(day).isoformat()
    except ValueError:
        print(f"xsell compaction-sql: --day: expected a date as YYYY-MM-DD, got {day!r}", file=sys.stderr)
        return EXIT_USAGE

    def statement(name: str) -> str:
        return sql.athena_compaction(name, layout.TOUCH_LOOKBACK_DAYS, layout.REPEAT_LOOKBACK_DAYS, day)

    if table:  # one query string, as start-query-execution takes it
        print(statement(table), file=out)
        return EXIT_OK
    for name in sql.COMPACTION:
        print(f"-- {name}, {day}\n{statement(name)};\n", file=out)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
