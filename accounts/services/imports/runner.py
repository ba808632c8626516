"""Running an import: read and validate a CSV, then write the valid rows in one transaction."""

import csv
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from django.db import DatabaseError, OperationalError, transaction
from django.utils import timezone

from accounts.models import ImportJob
from revops.collector import no_gc

from . import values as v
from .base import NATIVE, ImportFileError, ImportReport, get_import_kind, issues_as_json
from .reader import CsvRecords, Projector, open_source, sniff
from .staging import Staging

logger = logging.getLogger(__name__)

CHECK_BATCH_ROWS = 25_000  # rows per database check and COPY: fewer round trips, bounded memory
PROGRESS_EVERY_ROWS = 2000
PROGRESS_MIN_SECONDS = 0.5  # at most two progress writes a second


@dataclass(frozen=True)
class ImportProgress:
    phase: str  # "reading" while records are read and validated, "writing" during the transaction
    rows: int
    bytes_read: int
    bytes_total: int | None


ProgressCallback = Callable[[ImportProgress], None]


def import_csv(
    *,
    kind: str,
    source: str | BinaryIO,
    preset: str = NATIVE,
    progress: ProgressCallback | None = None,
    using: str = "default",
) -> ImportReport:
    """Import one CSV file of `kind`; returns the report. Raises ImportFileError (nothing loaded)
    when the file as a whole is unusable.

    1. Resolve the kind and the preset's header names (a preset for another kind is a file error).
    2. Stream the records: parse each (bad rows are reported with their line), reject duplicate
       keys, run the kind's database checks a batch at a time, and append the accepted rows to
       session-private staging tables. No shared table is written yet, so progress reported
       from here through the normal connection is visible to other connections at once.
    3. Run the kind's whole-file checks (e.g. parent cycles) and drop the rows they reject.
    4. In one transaction, upsert set-based from the staging tables: every valid row is written,
       or none is.
    """
    import_kind = get_import_kind(kind)
    sources = import_kind.source_headers(preset)
    multi = {column.name for column in import_kind.columns if column.multi}
    report = ImportReport(kind=kind, preset=preset)
    staging = Staging(using)
    started = time.perf_counter()
    try:
        with open_source(source) as (binary, size):
            records = CsvRecords(binary)
            projector = Projector(records.header, sources, multi)
            missing = [name for name in import_kind.required_columns if name not in projector.present]
            if missing:
                wanted = ", ".join(missing)
                if preset != NATIVE:
                    wanted = "; ".join(f"{name} (one of: {', '.join(sources[name])})" for name in missing)
                raise ImportFileError(f"Missing required column{'s' if len(missing) > 1 else ''}: {wanted}.")
            state = import_kind.new_state(present=frozenset(projector.present))
            tables = import_kind.staging_tables(staging, state)
            for table in tables:
                staging.create(table)
            with no_gc():
                _read(import_kind, records, projector, state, report, staging, tables, progress, size)
        report.timings["read"] = time.perf_counter() - started
        staged_rejections = set(report.rejected_lines)
        import_kind.finish(state, report)
        report.timings["finish"] = time.perf_counter() - started - report.timings["read"]
        if progress:
            progress(ImportProgress("writing", report.total_rows, size or 0, size))
        try:
            with transaction.atomic(using=using):
                staging.tune()
                staging.discard_lines(tables, report.rejected_lines - staged_rejections)
                for table in tables:
                    staging.prepare(table)
                created, updated, unchanged = import_kind.write(staging=staging, state=state, report=report)
                written = time.perf_counter()
            report.timings["commit"] = time.perf_counter() - written
            report.timings["write"] = written - started - report.timings["read"] - report.timings["finish"]
        except OperationalError:
            raise  # may pass (lost connection, lock timeout): let the caller retry
        except DatabaseError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            raise ImportFileError(f"The database refused the import, nothing was loaded: {reason}") from exc
    finally:
        staging.drop()
    report.created, report.updated, report.unchanged = created, updated, unchanged
    logger.info(
        "Imported %s rows of %s: %s (%s)",
        report.total_rows,
        kind,
        report.summary(),
        ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in report.timings.items()),
    )
    if progress:
        progress(ImportProgress("done", report.total_rows, size or 0, size))
    return report


def _read(import_kind, records, projector, state, report, staging, tables, progress, size) -> None:
    keys: dict = {}
    batch: list[tuple] = []
    project, parse, key_of, row_error = projector.project, import_kind.parse, import_kind.key, v.RowError
    columns = {table.name: table.column_names for table in tables}
    # A kind may offer its own per-record fast path, `record_parser(projector, state)`: a function
    # from the raw cells to the row `parse` would return, or None for anything it does not handle
    # (a bad or unusual record, which then goes through the projection and `parse`). It spares the
    # common record the dict of native columns.
    record_parser = getattr(import_kind, "record_parser", None)
    fast = record_parser(projector, state) if record_parser else None

    def flush(batch: list[tuple]) -> None:
        rejected_before = len(report.rejected_lines)
        accepted = import_kind.check(batch, state, report)
        if len(report.rejected_lines) != rejected_before:
            accepted = [row for row in accepted if row[0] not in report.rejected_lines]
        for table, rows in import_kind.stage(accepted, state):
            if rows:
                staging.load(table, columns[table], rows)

    # The loop runs once per record (millions for a product export): locals only, no attribute
    # writes, the csv reader iterated here rather than through a generator, and the progress
    # check is a countdown instead of a modulo.
    total = report.total_rows
    until_progress = PROGRESS_EVERY_ROWS
    reader = records.reader
    previous_end = reader.line_num
    try:
        for record in reader:
            line = previous_end + 1  # a quoted field may span lines: the record starts here
            previous_end = reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # a blank line
            total += 1
            row = fast(record) if fast is not None else None
            if row is None:
                values = project(record)
                try:
                    row = parse(values, state)
                except row_error as exc:
                    report.reject(line, exc.message, key=values.get("external_id") or None)
                    row = None
            if row is not None:
                key = key_of(row)
                first = keys.setdefault(key, line) if key is not None else line
                if first != line:
                    report.reject(line, f"duplicate {import_kind.describe_key(key)}: already on line {first}")
                else:
                    batch.append((line, *row))
                    if len(batch) >= CHECK_BATCH_ROWS:
                        report.total_rows = total
                        flush(batch)
                        batch = []
            if progress:
                until_progress -= 1
                if not until_progress:
                    until_progress = PROGRESS_EVERY_ROWS
                    report.total_rows = total
                    progress(ImportProgress("reading", total, records.bytes_read(), size))
    except (csv.Error, UnicodeDecodeError) as exc:
        raise records.translate(exc) from None
    report.total_rows = total
    if batch:
        flush(batch)
    if progress:
        progress(ImportProgress("reading", report.total_rows, size or records.bytes_read(), size))


def count_records(binary: BinaryIO) -> int:
    """Number of data records (not lines) in a CSV file; 0 if it cannot be read as CSV text."""
    try:
        sniff(binary)
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        try:
            count = -1  # the header
            for record in csv.reader(text):
                if record and not (len(record) == 1 and not record[0].strip()):
                    count += 1
        finally:
            text.detach()
        binary.seek(0)
        return max(count, 0)
    except (ImportFileError, UnicodeDecodeError, csv.Error, OSError, ValueError):
        binary.seek(0)
        return 0


# --- web-UI import jobs -------------------------------------------------------------------------


@transaction.atomic
def import_job_create(*, kind: str, preset: str, upload, by) -> ImportJob:
    """Store the upload as an ImportJob and queue it once the job row is committed."""
    from accounts.tasks import import_job_run_task

    get_import_kind(kind).source_headers(preset)  # an unknown kind or preset fails here, not in the worker
    job = ImportJob.objects.create(
        kind=kind, preset=preset, file=upload, original_name=(upload.name or "upload.csv")[:255], created_by=by
    )
    transaction.on_commit(lambda: import_job_run_task.delay(job.id))
    return job


def import_job_execute(*, job_id: int) -> ImportJob:
    """Run a claimed (RUNNING) job and record its outcome on the job.

    Progress goes to the job row in short autocommitted writes during the reading phase — the
    import's own transaction only starts once every record has been read, so other connections
    (the progress page) see it move.
    """
    job = ImportJob.objects.get(pk=job_id)
    jobs = ImportJob.objects.filter(pk=job_id)
    last_write = float("-inf")

    def on_progress(step: ImportProgress) -> None:
        nonlocal last_write
        now = time.monotonic()
        if step.phase == "reading" and now - last_write < PROGRESS_MIN_SECONDS:
            return
        last_write = now
        _job_progress(job_id, step.rows)

    try:
        with job.file.open("rb") as handle:
            binary = getattr(handle, "file", handle)
            jobs.update(total_rows=count_records(binary))
            report = import_csv(kind=job.kind, source=binary, preset=job.preset, progress=on_progress)
    except ImportFileError as exc:
        jobs.update(status=ImportJob.Status.FAILED, message=exc.message[:500], finished_at=timezone.now())
        return ImportJob.objects.get(pk=job_id)
    except FileNotFoundError:
        jobs.update(
            status=ImportJob.Status.FAILED,
            message="The uploaded file is gone from storage.",
            finished_at=timezone.now(),
        )
        return ImportJob.objects.get(pk=job_id)
    issues = [
        *({"level": "error", **issue} for issue in issues_as_json(report.sorted_errors())),
        *({"level": "warning", **issue} for issue in issues_as_json(report.sorted_warnings())),
    ]
    jobs.update(
        status=ImportJob.Status.DONE_WITH_ERRORS if report.errors else ImportJob.Status.DONE,
        total_rows=report.total_rows,
        processed_rows=report.total_rows,
        created_count=report.created,
        updated_count=report.updated,
        unchanged_count=report.unchanged,
        error_count=report.error_count,
        errors=issues,
        message=report.summary()[:500],
        finished_at=timezone.now(),
    )
    return ImportJob.objects.get(pk=job_id)


def _job_progress(job_id: int, rows: int) -> None:
    # Autocommitted on its own (the import's transaction has not started): the progress page,
    # on another connection, sees it at once.
    ImportJob.objects.filter(pk=job_id).update(processed_rows=rows)


def import_job_release(*, job_id: int) -> None:
    """Put a job that failed on a transient database error back in the queue for the retry."""
    ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).update(
        status=ImportJob.Status.QUEUED, processed_rows=0
    )
