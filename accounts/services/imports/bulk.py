"""Big loads on PostgreSQL: take the target tables' secondary indexes and the foreign keys the
import fills off for the load, and put them back set-based, all inside the import's transaction.

Why: row by row, every inserted row costs an index insertion (and its WAL record) per index, and
every foreign-key column one deferred trigger event, each a separate lookup run at commit — for a
million product users with 1.75 million memberships that was most of the two minutes the write
and the commit took. Building an index sorts once; adding a foreign key back checks every row with
one join.

The price is locking. DROP INDEX / ALTER TABLE … DROP CONSTRAINT take ACCESS EXCLUSIVE locks on
the loaded tables — and dropping a foreign key also on the table it references — held until the
import commits: while a big import writes (seconds to tens of seconds), nobody can read those
tables, not even a page listing workspaces. So:

* only above BULK_MIN_ROWS new rows, and only when the new rows are at least 1/BULK_MAX_GROWTH
  of what the (first) table holds already: rebuilding costs time in proportion to the whole
  table, the row-by-row path in proportion to the new rows. A re-import that changes a few rows
  never takes this path;
* only the foreign keys of columns the import fills are dropped (memberships → users and
  workspaces); keys the import leaves NULL (a user's company, matched_by) stay, so companies
  and logins are never locked — they cost one cheap "all NULL" check per row;
* the locks are waited for at most LOCK_TIMEOUT; if another session holds one longer (a long
  export, say), or a table has unfired trigger events in an enclosing transaction, the import
  quietly takes the row-by-row path instead of queueing every reader behind it.

The primary keys, and unique indexes a foreign key depends on, always stay. Everything is put back
exactly as it was (pg_get_indexdef / pg_get_constraintdef), before the transaction commits; if
anything fails the transaction rolls back and the DDL with it — there is no state in which an
index or a constraint is missing.
"""

import logging
import time
from dataclasses import dataclass, field

from django.db import OperationalError, transaction

from .staging import Staging

logger = logging.getLogger(__name__)

BULK_MIN_ROWS = 100_000
BULK_MAX_GROWTH = 3  # bulk when new rows ≥ existing rows / 3
LOCK_TIMEOUT = "5s"
# lock_not_available (lock_timeout), object_in_use ("cannot ALTER TABLE … because it has pending
# trigger events": an enclosing transaction wrote the table and its deferred checks are queued).
_FALL_BACK_SQLSTATES = {"55P03", "55006"}


@dataclass(frozen=True)
class BulkTable:
    """A table an import loads; `filled_foreign_keys` are the FK columns the import writes."""

    table: str
    filled_foreign_keys: tuple[str, ...] = ()


@dataclass
class _Dropped:
    table: str
    indexes: list[tuple[str, str]] = field(default_factory=list)  # (name, CREATE INDEX …)
    constraints: list[tuple[str, str]] = field(default_factory=list)  # (name, definition)
    foreign_keys: list[tuple[str, str]] = field(default_factory=list)
    kept_deferred_keys: list[str] = field(default_factory=list)


class BulkLoad:
    """`with BulkLoad(staging, tables, new_rows=n) as bulk:` write; `bulk.active` says which path.

    `new_rows` counts rows of the first table (product users, whose memberships follow them).
    """

    def __init__(self, staging: Staging, tables: list[BulkTable], *, new_rows: int):
        self.staging = staging
        self.tables = tables
        self.new_rows = new_rows
        self.active = False
        self.seconds = 0.0
        self._dropped: list[_Dropped] = []

    # --- the decision ---------------------------------------------------------------------------
    def worthwhile(self) -> bool:
        if self.staging.vendor != "postgresql" or self.new_rows < BULK_MIN_ROWS:
            return False
        return self.new_rows * BULK_MAX_GROWTH >= self._estimated_rows(self.tables[0].table)

    def _estimated_rows(self, table: str) -> int:
        # The planner's estimate: counting a big table would cost what the bulk path saves.
        estimate = self.staging.scalar(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [self.staging.qn(table)]
        )
        return max(int(estimate or 0), 0)

    # --- the context manager --------------------------------------------------------------------
    def __enter__(self) -> "BulkLoad":
        if self.worthwhile():
            started = time.perf_counter()
            try:
                with transaction.atomic(using=self.staging.connection.alias):
                    self.staging.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                    self._take_off()
                    self.staging.execute("SET LOCAL lock_timeout = DEFAULT")
            except OperationalError as exc:
                if getattr(exc.__cause__, "sqlstate", None) not in _FALL_BACK_SQLSTATES:
                    raise
                logger.info("Bulk load not possible (%s); writing row by row.", str(exc).strip().splitlines()[0])
                self._dropped = []
            else:
                self.active = True
            self.seconds += time.perf_counter() - started
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.active and exc_type is None:
            started = time.perf_counter()
            self._put_back()
            self.seconds += time.perf_counter() - started

    # --- DDL ------------------------------------------------------------------------------------
    def _take_off(self) -> None:
        qn = self.staging.qn
        self.staging.execute(f"LOCK TABLE {', '.join(qn(t.table) for t in self.tables)} IN ACCESS EXCLUSIVE MODE")
        for bulk_table in self.tables:
            dropped = _Dropped(bulk_table.table)
            with self.staging.connection.cursor() as cursor:
                cursor.execute(_INDEXES, [qn(bulk_table.table)])
                for name, index_def, constraint, constraint_def in cursor.fetchall():
                    if constraint:
                        dropped.constraints.append((constraint, constraint_def))
                    else:
                        dropped.indexes.append((name, index_def))
                cursor.execute(_FOREIGN_KEYS, [qn(bulk_table.table)])
                for name, definition, columns, deferred in cursor.fetchall():
                    if set(columns) <= set(bulk_table.filled_foreign_keys):
                        dropped.foreign_keys.append((name, definition))
                    elif deferred:
                        dropped.kept_deferred_keys.append(name)
            table = qn(bulk_table.table)
            drops = [f"DROP CONSTRAINT {qn(name)}" for name, _ in [*dropped.foreign_keys, *dropped.constraints]]
            if drops:
                self.staging.execute(f"ALTER TABLE {table} {', '.join(drops)}")
            if dropped.indexes:
                self.staging.execute(f"DROP INDEX {', '.join(qn(name) for name, _ in dropped.indexes)}")
            self._dropped.append(dropped)

    def _put_back(self) -> None:
        qn = self.staging.qn
        # Building indexes sorts: give it memory for this transaction only.
        self.staging.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for dropped in self._dropped:
            # CREATE INDEX refuses a table with unfired trigger events: run the deferred checks of
            # the foreign keys that stayed (e.g. the NULL company of each new user) now, not at commit.
            if dropped.kept_deferred_keys:
                self.staging.execute(f"SET CONSTRAINTS {', '.join(map(qn, dropped.kept_deferred_keys))} IMMEDIATE")
            table = qn(dropped.table)
            for _, index_def in dropped.indexes:
                self.staging.execute(index_def)
            for name, definition in dropped.constraints:
                self.staging.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")
            if dropped.kept_deferred_keys:
                self.staging.execute(f"SET CONSTRAINTS {', '.join(map(qn, dropped.kept_deferred_keys))} DEFERRED")
        # Foreign keys last, once every table is loaded and indexed: each is checked by one join.
        for dropped in self._dropped:
            for name, definition in dropped.foreign_keys:
                self.staging.execute(f"ALTER TABLE {qn(dropped.table)} ADD CONSTRAINT {qn(name)} {definition}")
        self.staging.execute("SET LOCAL maintenance_work_mem = DEFAULT")


# Secondary indexes of a table: not the primary key, not one a foreign key depends on, not an
# invalid leftover of a failed CREATE INDEX CONCURRENTLY. Unique/exclusion constraints come back
# as constraints (ADD CONSTRAINT), plain indexes as themselves (their full CREATE INDEX).
_INDEXES = """
SELECT (SELECT relname FROM pg_class WHERE oid = i.indexrelid), pg_get_indexdef(i.indexrelid), c.conname, pg_get_constraintdef(c.oid)
FROM pg_index i
LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('u', 'x')
WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND i.indisvalid AND i.indisready
AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
ORDER BY i.indexrelid
"""

_FOREIGN_KEYS = """
SELECT c.conname, pg_get_constraintdef(c.oid),
       ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)),
       c.condeferrable AND c.condeferred
FROM pg_constraint c
WHERE c.conrelid = %s::regclass AND c.contype = 'f'
ORDER BY c.oid
"""
