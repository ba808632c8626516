"""Set-based writes of resolution outcomes: the changed rows go into a temporary table (COPY on
PostgreSQL) and one UPDATE … FROM applies them — never a query per record.

The UPDATE re-checks that a record is not a manual decision, so a person's decision made while the
run was computing is not overwritten either.

The parallel processes of a full run write their workspace outcomes at the same time: the
workspaces' triggers (``accounts.services.figures``) update their companies' figures in one statement
per write, locking those rows in company order, so two such writes cannot deadlock — one waits at the
first company both touch until the other commits, while both UPDATEs of the workspaces themselves
(disjoint rows) run side by side. (An advisory lock used to serialise these writes whole: a full run's
two processes then wrote 200,000 workspaces one after the other, ~4.5 s of a cold run with a core idle.)
"""

from __future__ import annotations

from operator import itemgetter

from django.db import connection, transaction
from django.utils import timezone

from .evidence import Method, Status

TEMP_TABLE = "resolution_outcome"
SQLITE_BATCH = 5_000
# After this many rows, and a tenth of the table, the table's statistics are refreshed at once: a
# first run turns a million NULL company ids into values, and plans made on the old statistics would
# be disastrous. An incremental run's few thousand rows leave them as good as they were.
ANALYZE_AFTER = 20_000
ANALYZE_SHARE = 0.1
# Fewer rows than this share of the table are applied through the primary key: PostgreSQL would
# otherwise join against the whole table (a seq scan of a million rows to update twenty thousand; of
# 200,000 workspaces to update 11,000: 0.3-0.4 s, where 11,000 lookups of sorted keys take 0.05 s).
BY_KEY_SHARE = 0.2
# work_mem of a large write, for sorting the table's ids for the merge join in memory (a million
# users' rows took ~80 MB)
SORT_MEMORY = "96MB"
_first = itemgetter(0)
COLUMNS = ("company_id", "suggested_company_id", "match_method", "match_confidence", "match_status", "match_reason")


def outcomes_write(model, rows: list[tuple]) -> int:
    """Apply ``(id, company_id, suggested_company_id, method, confidence, status, reason)`` rows to
    ``model``'s table, stamping matched_at (now) and clearing matched_by. Returns rows updated."""
    if not rows:
        return 0
    # in key order: the UPDATE then visits the table's pages and index leaves in order, not at
    # random (24,000 users of an incremental run: 2.9 s instead of 4.7 s in PostgreSQL, at load 4.5)
    rows = sorted(rows, key=_first)
    table = connection.ops.quote_name(model._meta.db_table)
    now = timezone.now()
    set_clause = ", ".join(f"{column} = o.{column}" for column in COLUMNS)
    update = (
        f"UPDATE {table} SET {set_clause}, matched_at = %s, matched_by_id = NULL "
        f"FROM {TEMP_TABLE} o WHERE {table}.id = o.id "
        f"AND {table}.match_status NOT IN (%s, %s) AND {table}.match_method <> %s"
    )
    params = [now, Status.CONFIRMED, Status.REJECTED, Method.MANUAL]
    size = _estimated_rows(model)
    by_key = len(rows) < size * BY_KEY_SHARE
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TEMP_TABLE}")
        if connection.vendor == "postgresql":
            # Never a hash join: with the default work_mem the hash of a large run's rows spills into
            # dozens of batches, and the UPDATE then walks the table once per batch, each time
            # evicting and re-reading pages and logging them whole again after a checkpoint (1M
            # users: 47 s and 2.6 GB of WAL, where the same rows in key order take 29 s and 1.25 GB).
            cursor.execute("SET LOCAL enable_hashjoin = off")
            cursor.execute("SET LOCAL jit = off")
            if by_key:
                cursor.execute("SET LOCAL enable_mergejoin = off")
            else:
                # merge join: the table's side is sorted by id, in memory
                cursor.execute(f"SET LOCAL work_mem = '{SORT_MEMORY}'")
            cursor.execute(
                f"CREATE TEMP TABLE {TEMP_TABLE} (id bigint PRIMARY KEY, company_id bigint, "
                f"suggested_company_id bigint, match_method varchar(16), match_confidence double precision, "
                f"match_status varchar(16), match_reason varchar(500)) ON COMMIT DROP"
            )
            with cursor.cursor.copy(f"COPY {TEMP_TABLE} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if not by_key:  # the plan is fixed otherwise
                cursor.execute(f"ANALYZE {TEMP_TABLE}")
        else:
            cursor.execute(
                f"CREATE TEMP TABLE {TEMP_TABLE} (id integer PRIMARY KEY, company_id integer, "
                f"suggested_company_id integer, match_method text, match_confidence real, match_status text, "
                f"match_reason text)"
            )
            insert = f"INSERT INTO {TEMP_TABLE} VALUES (%s, %s, %s, %s, %s, %s, %s)"
            for start in range(0, len(rows), SQLITE_BATCH):
                cursor.executemany(insert, rows[start : start + SQLITE_BATCH])
        cursor.execute(update, params)
        updated = cursor.rowcount
        cursor.execute(f"DROP TABLE {TEMP_TABLE}")
    if updated >= ANALYZE_AFTER and updated >= size * ANALYZE_SHARE:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    return updated


def _estimated_rows(model) -> int:
    """PostgreSQL's estimate of the table's rows (0 when unknown, and elsewhere)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cursor.fetchone()
    return max(0, int(row[0])) if row else 0
