"""Import partner files, one chunk per invocation: claim, lease, stream, write, report, commit.

The first message for an object (an S3 notification) claims its job; every
message for the job (the notification, a duplicate of it, or a continuation the
importer sent itself) then tries to lease the job and import its next chunk from
the committed checkpoint. A lease held by someone else means the message has
nothing to do. A chunk that fails releases its lease and its message is retried;
one killed outright leaves a lease that expires before SQS redelivers.

Imports are serialised over the profiles table: before writing, a chunk also takes
the profiles writer lease (:class:`xsell.dal.jobs.WriterLease`). When another import
holds it, the chunk gives its job lease back and asks for itself again with a delayed
continuation (``WAIT_SECONDS``); its message is acknowledged, so waiting neither uses up
the message's receive count nor waits for the queue's visibility timeout.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import IO, Any

from xsell import env, observability, topology
from xsell.dal import import_queue, jobs, objects, partners
from xsell.dal.jobs import WriterLease, WriterLeaseLost
from xsell.dal.objects import ObjectChanged, ObjectGone
from xsell.importing import mappings
from xsell.importing.checkpoints import Budget, Deadline, Tally
from xsell.importing.csvfile import BadRow, CsvStream, Row
from xsell.importing.datasets import DATASETS, Dataset, Layout, ParseContext, RowError
from xsell.importing.errors import (
    BadObjectKey,
    EmptyFile,
    RejectedFile,
    UnknownDataset,
    UnreadableHeader,
)
from xsell.importing.mappings import PartnerSettings
from xsell.importing.merging import OUTDATED, REFUSED, SUPERSEDED, WRITTEN, Outcome, ProfileStore, Stamp
from xsell.importing.notifications import Continuation, ObjectRef, parse_message
from xsell.importing.reports import ErrorSink, discard_parts, publish
from xsell.importing.writing import Store, WritePipeline, to_write
from xsell.models import ImportJob
from xsell.vocabulary import BUSINESS_ZONE, PARTNER_ID_PATTERN

__all__ = [
    "Importer",
    "ObjectRef",
    "RejectedFile",
    "Step",
    "handle_message",
    "import_object",
    "parse_key",
    "send_continuation_later",
]

PROGRESS_EVERY_S = 5.0
WAIT_SECONDS = 30  # a job that finds the profiles writer busy asks again this much later
_PARTNER = re.compile(PARTNER_ID_PATTERN)
# Datasets whose rows have a set effect (adding an opt-out, deleting a customer): a repeated
# key changes nothing, so repeats are not reported as duplicates.
_IDEMPOTENT = frozenset({"optouts", "erasure"})

FINISHED = "finished"  # the job is done (succeeded, rejected or failed for good)
CONTINUES = "continues"  # a chunk was committed; a follow-up message asks for the next
BUSY = "busy"  # another worker holds the job's lease: nothing to do
ALREADY_DONE = "already-done"  # the job had finished before this message
LOST = "lost"  # this worker's lease was taken over; its chunk was not committed
WAITING = "waiting"  # another import holds the profiles writer lease: asked again in WAIT_SECONDS
FOLDER = "folder"  # a folder marker (a key ending in "/"): no file, so no job


@dataclass(frozen=True)
class Step:
    job_id: str
    state: str


def parse_key(key: str) -> tuple[str, str]:
    """``incoming/<partner>/<dataset>/<file>.csv`` (``.CSV`` too) -> (partner, dataset)."""
    parts = key.split("/")
    expected = f"{topology.DROP_PREFIX}<partner>/<dataset>/<file>{topology.DROP_SUFFIX}"
    if len(parts) != 4 or f"{parts[0]}/" != topology.DROP_PREFIX:
        raise BadObjectKey(f"object key {key!r} is not {expected}: files elsewhere are not imported")
    name = parts[3]
    if not name.lower().endswith(topology.DROP_SUFFIX) or name.lower() == topology.DROP_SUFFIX:
        raise BadObjectKey(
            f"file name {name!r} does not end in {topology.DROP_SUFFIX}: only CSV files are imported "
            f"({expected})"
        )
    partner, dataset = parts[1], parts[2]
    if dataset not in DATASETS:
        raise UnknownDataset(f"unknown dataset {dataset!r}: expected one of {', '.join(sorted(DATASETS))}")
    if not _PARTNER.fullmatch(partner):
        raise BadObjectKey(f"partner {partner!r} in the object key must be lowercase letters, digits, _ or -")
    return partner, dataset


def id_header(layout: Layout) -> str:
    """The customer id column as the file names it (``会員番号``, mapped by the partner's settings,
    or an alias such as ``会員ID``): a duplicate row's error line names that column, like every
    other error line names the column it is about."""
    return next((name for _, name, col in layout.columns if col.field == "customer_id"), "customer_id")


@dataclass
class _Opened:
    stream: Any  # the S3 body: closed after the chunk, which may stop before its end
    rows: Any  # iterator over Row | BadRow
    reader: CsvStream
    size: int
    layout: Layout
    settings: PartnerSettings
    first: dict[str, Any]  # what the first chunk learns about the file, saved on the job


class Importer:
    """Imports chunks of jobs. Storage collaborators can be replaced in tests."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        request_next_chunk: Callable[[str, int], None] | None = None,
        request_later: Callable[[str, int], None] | None = None,
        threads: int | None = None,
        batch_rows: int | None = None,
    ) -> None:
        self._store = store or ProfileStore()
        self._clock = clock
        self._monotonic = monotonic
        self._request_next_chunk = request_next_chunk
        self._request_later = request_later
        self._pipeline_options = {
            name: value for name, value in (("threads", threads), ("batch_rows", batch_rows)) if value
        }

    # --- messages --------------------------------------------------------------------

    def handle(self, body: str, budget: Budget, *, final_attempt: bool = False) -> list[Step]:
        """Everything one queue message asks for."""
        message = parse_message(body)
        if isinstance(message, Continuation):
            return [self._guarded(message.job_id, lambda: self.run(message.job_id, budget), final_attempt)]
        return [
            self._guarded(ref.job_id, partial(self.import_object, ref, budget), final_attempt)
            for ref in message
        ]

    def _guarded(self, job_id: str, work: Callable[[], Step], final_attempt: bool) -> Step:
        try:
            return work()
        except Exception as exc:
            if final_attempt:
                jobs.mark_failed(
                    job_id, f"the import failed repeatedly: {type(exc).__name__}: {exc}"[:500], "error"
                )
                observability.count(observability.IMPORT_FAILURES)
            raise

    def import_object(self, ref: ObjectRef, budget: Budget | None = None) -> Step:
        """Claim ``ref``'s job if nobody has, then import its next chunk."""
        if ref.key.endswith("/"):  # the S3 console's "Create folder": every object under incoming/ notifies
            return Step(ref.job_id, FOLDER)
        budget = budget or Budget.for_invocation()
        existing = jobs.find(ref.job_id)
        if existing is None:
            try:
                partner, dataset = parse_key(ref.key)
                # However the file reached the bucket (an admin-minted URL or a partner's own
                # credentials), only a registered partner imports, and only its datasets.
                mappings.permit(partner, dataset, partners.get(partner), set(DATASETS))
            except RejectedFile as exc:
                return self._reject_key(ref, exc)
            jobs.claim(
                ref.job_id,
                partner=partner,
                dataset=dataset,
                key=ref.key,
                version=ref.version,
                etag=ref.etag.strip('"') or None,
                bucket=ref.bucket,
            )
        elif existing.status in jobs.FINISHED:
            return Step(ref.job_id, ALREADY_DONE)
        return self.run(ref.job_id, budget)

    def _reject_key(self, ref: ObjectRef, exc: RejectedFile) -> Step:
        parts = ref.key.split("/")
        job = jobs.claim(
            ref.job_id,
            partner=parts[1] if len(parts) > 2 else "unknown",
            dataset=parts[2] if len(parts) > 3 else "unknown",
            key=ref.key,
            version=ref.version,
            etag=ref.etag.strip('"') or None,
            bucket=ref.bucket,
        )
        if job is None:
            return Step(ref.job_id, ALREADY_DONE)
        job.status, job.reason, job.reason_code = jobs.REJECTED, str(exc), exc.code
        jobs.finish(job)
        observability.count(observability.IMPORT_FAILURES)
        return Step(ref.job_id, FINISHED)

    # --- one chunk -------------------------------------------------------------------

    def run(self, job_id: str, budget: Budget) -> Step:
        """Lease the job and import its next chunk (nothing if someone else holds it)."""
        owner = uuid.uuid4().hex
        now = self._clock()
        job = jobs.acquire(job_id, owner, until=now + budget.lease_seconds, now=now)
        if job is None:
            found = jobs.find(job_id)
            return Step(job_id, ALREADY_DONE if found is None or found.status in jobs.FINISHED else BUSY)
        writer = WriterLease(owner, job_id, clock=self._clock, monotonic=self._monotonic)
        try:
            return self._chunk(job, owner, budget, writer)
        except (_WriterBusy, WriterLeaseLost):
            writer.release()
            jobs.release(job_id, owner)
            (self._request_later or send_continuation_later)(job_id, job.chunks)
            return Step(job_id, WAITING)
        except BaseException:
            writer.release()
            jobs.release(job_id, owner)
            raise

    def _chunk(self, job: ImportJob, owner: str, budget: Budget, writer: WriterLease) -> Step:
        started = self._monotonic()
        spec = DATASETS[job.dataset]
        bucket = job.object_bucket or env.get(env.DROP_BUCKET)
        try:
            opened = self._open(job, spec, bucket)
        except RejectedFile as exc:
            return self._end(job, owner, jobs.REJECTED, str(exc), exc.code, started)
        except ObjectGone as exc:
            return self._end(job, owner, jobs.FAILED, str(exc), "object_gone", started)
        except ObjectChanged as exc:
            reason = f"{exc}; the new content is imported as a job of its own"
            return self._end(job, owner, jobs.FAILED, reason, "object_replaced", started)

        try:
            if not writer.acquire():
                raise _WriterBusy(job.job_id)
            as_of = opened.first.get("as_of") or job.as_of
            stamp = Stamp(
                job=job.job_id[:16],
                source=job.partner,
                as_of=as_of,
                now=self._profile_now(),
                guard=writer.check,
            )
            ctx = ParseContext(
                today=dt.datetime.fromtimestamp(self._clock(), BUSINESS_ZONE).date(),
                brands=self._brands(spec, opened.settings),
                brand_aliases=opened.settings.brand_aliases,
            )
            sink = ErrorSink(bucket, job.job_id, job.chunks)
            tally = self._import_rows(job, owner, spec, opened, ctx, stamp, sink, budget, writer)
        finally:
            opened.stream.close()
        writer.release()  # every write is done: the next import may start while this one commits

        next_chunk = job.chunks + 1
        done = opened.reader.offset >= opened.size
        parts = list(job.error_parts or []) + sink.close()
        busy = float(job.busy_seconds) + (self._monotonic() - started)
        read = job.rows_read + tally.read
        changes: dict[str, Any] = {
            **opened.first,
            "offset": opened.reader.offset,
            "next_line": opened.reader.next_line,
            "encoding": opened.reader.encoding,
            "rows_read": read,
            "rows_imported": job.rows_imported + tally.imported,
            "rows_rejected": job.rows_rejected + tally.rejected,
            "rows_duplicate": job.rows_duplicate + tally.duplicate,
            "rows_outdated": job.rows_outdated + tally.outdated,
            "errors_listed": job.errors_listed + sink.count,
            "error_parts": parts or None,
            "busy_seconds": round(busy, 3),
            "progress_rows": None,
            "progress_offset": None,
        }
        if done:
            changes.update(
                status=jobs.SUCCEEDED,
                finished_at=dt.datetime.fromtimestamp(self._clock(), dt.UTC),
                rows_per_second=round(read / busy, 1) if busy > 0 else None,
                errors_key=publish(bucket, job.job_id, parts) if parts else None,
            )
            if read == 0:
                changes.update(reason="the file has a header row but no data rows", reason_code="no_rows")
        if not jobs.commit(job, owner, changes):
            return Step(job.job_id, LOST)
        observability.count(observability.IMPORT_ROWS, tally.imported)
        observability.count(observability.IMPORT_ROW_ERRORS, tally.rejected)
        if done:
            discard_parts(bucket, parts)
            return Step(job.job_id, FINISHED)
        (self._request_next_chunk or import_queue.send_continuation)(job.job_id, next_chunk)
        return Step(job.job_id, CONTINUES)

    def _open(self, job: ImportJob, spec: Dataset, bucket: str) -> _Opened:
        stream: IO[bytes]
        if job.header is None:
            document = partners.get(job.partner)
            settings = mappings.from_document(job.partner, document, set(DATASETS))
            stream, info = objects.open_range(
                bucket, job.object_key, version=job.object_version, etag=job.object_etag
            )
            reader = CsvStream(stream, encoding=settings.encoding)
            rows = iter(reader)
            try:
                header = next(rows, None)
                if header is None:
                    raise EmptyFile("the file is empty: expected a header row")
                if isinstance(header, BadRow):
                    raise UnreadableHeader(f"the header row cannot be read: {header.reason}")
                layout = spec.resolve_header(header.values, settings.for_dataset(job.dataset))
            except BaseException:
                stream.close()
                raise
            first = {
                "header": header.values,
                "settings": settings.to_document(),
                "as_of": info.last_modified.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "object_size": info.size,
                "object_etag": info.etag,
                "object_version": job.object_version or info.version,
            }
            return _Opened(stream, rows, reader, info.size, layout, settings, first)
        settings = mappings.from_document(job.partner, job.settings, set(DATASETS))
        layout = spec.resolve_header(list(job.header), settings.for_dataset(job.dataset))
        size = int(job.object_size or 0)
        if job.offset >= size:
            stream = _EMPTY
        else:
            stream, _ = objects.open_range(
                bucket, job.object_key, version=job.object_version, etag=job.object_etag, offset=job.offset
            )
        reader = CsvStream(stream, offset=job.offset, line=job.next_line, encoding=job.encoding or "auto")
        return _Opened(stream, iter(reader), reader, size, layout, settings, {})

    def _import_rows(
        self,
        job: ImportJob,
        owner: str,
        spec: Dataset,
        opened: _Opened,
        ctx: ParseContext,
        stamp: Stamp,
        sink: ErrorSink,
        budget: Budget,
        writer: WriterLease,
    ) -> Tally:
        books = _Books(
            sink, opened.reader.next_line, stamp.as_of, spec.name not in _IDEMPOTENT, id_header(opened.layout)
        )
        deadline = Deadline(budget, self._monotonic)
        pipeline = WritePipeline(self._store, stamp, **self._pipeline_options)
        next_progress = self._monotonic() + PROGRESS_EVERY_S
        try:
            for item in opened.rows:
                books.tally.read += 1
                if isinstance(item, Row):
                    record, errors = spec.parse_row(item.values, opened.layout, ctx)
                    if errors:
                        books.rejected(item.line, errors)
                    else:
                        write = to_write(spec.name, record, item.line)
                        replaced = pipeline.add(spec.key(record), write)
                        if replaced is not None:
                            books.replaced_in_batch(replaced, write.customer_id, item.line)
                else:
                    books.unreadable(item)
                if books.tally.read % 1024 == 0:
                    books.account(pipeline.outcomes())
                    writer.check()  # keeps the writer lease renewed through stretches of bad rows
                    if self._monotonic() >= next_progress:
                        rows = job.rows_read + books.tally.read
                        jobs.report_progress(job.job_id, owner, rows, opened.reader.offset)
                        next_progress = self._monotonic() + PROGRESS_EVERY_S
                if deadline.reached(books.tally.read):
                    break
            books.account(pipeline.close())
        finally:
            pipeline.shutdown()
        return books.tally

    def _brands(self, spec: Dataset, settings: PartnerSettings) -> frozenset[str]:
        if "brand" not in spec.fields:
            return frozenset()
        known = partners.known_brands()
        return known & settings.brands if settings.brands is not None else known

    def _end(self, job: ImportJob, owner: str, status: str, reason: str, code: str, started: float) -> Step:
        changes = {
            "status": status,
            "reason": reason,
            "reason_code": code,
            "finished_at": dt.datetime.fromtimestamp(self._clock(), dt.UTC),
            "busy_seconds": round(float(job.busy_seconds) + self._monotonic() - started, 3),
        }
        if not jobs.commit(job, owner, changes):
            return Step(job.job_id, LOST)
        observability.count(observability.IMPORT_FAILURES)  # every _end is a rejected or failed file
        return Step(job.job_id, FINISHED)

    def _profile_now(self) -> str:
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")


def _duplicate(later: int | None) -> str:
    return f"duplicate of row {later} in this file; the later row was kept"


class _Books:
    """A chunk's counters and error lines, kept so that each row is counted exactly once.

    Duplicates show up two ways: inside the batch being filled (the earlier row is then
    never written) or in the table (the later row's write finds the earlier row's mark).
    A chunk retried after a crash can meet the same duplicate both ways, so the lines
    already reported are remembered for the chunk (only duplicates: a small set).
    """

    def __init__(
        self, sink: ErrorSink, chunk_start: int, as_of: str, reports_duplicates: bool, id_header: str
    ) -> None:
        self.tally = Tally()
        self._id_header = id_header  # the column as the file names it (会員番号): see id_header()
        self._sink = sink
        self._chunk_start = chunk_start
        self._as_of = as_of
        self._reports_duplicates = reports_duplicates
        self._reported: set[int] = set()

    def rejected(self, line: int, errors: list[RowError]) -> None:
        self.tally.rejected += 1
        for error in errors:
            self._sink.add(line, error.column, error.value, error.reason)

    def unreadable(self, row: BadRow) -> None:
        self.tally.rejected += 1
        self._sink.add(row.line, "", "", row.reason)

    def replaced_in_batch(self, earlier: int, customer_id: str, later: int) -> None:
        if self._reports_duplicates:
            self._duplicate(earlier, customer_id, later)
        else:
            self.tally.imported += 1  # a repeated opt-out or erasure has the same effect as the first

    def _duplicate(self, earlier: int, customer_id: str, later: int | None) -> bool:
        if earlier in self._reported:
            return False
        self._reported.add(earlier)
        self.tally.duplicate += 1
        self._sink.add(earlier, self._id_header, customer_id, _duplicate(later))
        return True

    def account(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            if outcome.status == WRITTEN:
                self.tally.imported += 1
                earlier = outcome.other_line
                # A replayed row's earlier duplicate inside this chunk reports itself when it is
                # replayed; one from an earlier (committed) chunk is reported here again.
                if (
                    earlier is not None
                    and (not outcome.replay or earlier < self._chunk_start)
                    and self._duplicate(earlier, outcome.customer_id, outcome.line)
                ):
                    self.tally.imported -= 1  # it had been counted when it was written
            elif outcome.status == SUPERSEDED:
                self._duplicate(outcome.line, outcome.customer_id, outcome.other_line)
            elif outcome.status == OUTDATED and outcome.erased:
                self.tally.outdated += 1
                self._sink.add(
                    outcome.line,
                    "",
                    outcome.customer_id,
                    f"not applied: the customer was erased (by a file uploaded {outcome.detail}; "
                    f"this file was uploaded {self._as_of})",
                )
            elif outcome.status == OUTDATED:
                self.tally.outdated += 1
                self._sink.add(
                    outcome.line,
                    "",
                    outcome.customer_id,
                    f"not applied: newer data is stored for this customer (from a file uploaded "
                    f"{outcome.detail}; this file was uploaded {self._as_of})",
                )
            elif outcome.status == REFUSED:
                self.tally.rejected += 1
                self._sink.add(
                    outcome.line, "", outcome.customer_id, f"could not be stored: {outcome.detail}"
                )


class _WriterBusy(Exception):
    """Another import holds the profiles writer lease: this chunk must wait its turn."""


def send_continuation_later(job_id: str, chunk: int, delay_seconds: int | None = None) -> None:
    """A continuation that becomes visible ``delay_seconds`` (default ``WAIT_SECONDS``) later: the
    job waits for the writer lease without holding a queue message (or using up its receive
    count) meanwhile."""
    import_queue.send_continuation(job_id, chunk, WAIT_SECONDS if delay_seconds is None else delay_seconds)


class _Empty:
    def read(self, size: int = -1) -> bytes:
        return b""

    def close(self) -> None:
        pass


_EMPTY: Any = _Empty()
_default: Importer | None = None


def default_importer() -> Importer:
    global _default
    if _default is None:
        _default = Importer()
    return _default


def handle_message(body: str, budget: Budget, *, final_attempt: bool = False) -> list[Step]:
    return default_importer().handle(body, budget, final_attempt=final_attempt)


def import_object(ref: ObjectRef, budget: Budget | None = None) -> Step:
    return default_importer().import_object(ref, budget)
