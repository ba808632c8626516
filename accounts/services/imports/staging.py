"""Set-based writes: temporary staging tables and the few SQL spellings that differ between
PostgreSQL and SQLite.

Accepted rows go into session-private temporary tables while the file is still being read (so
PostgreSQL parses the COPY stream on one core while Python validates on the other, and no row
is held in memory); every kind then writes the same way on both databases, in one transaction:
compare and upsert with a handful of INSERT … SELECT / UPDATE statements. Only filling a staging
table differs: COPY FROM STDIN on PostgreSQL, executemany on SQLite.
"""

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import DatabaseError, connections

from revops.errors import ApplicationError

logger = logging.getLogger(__name__)

LOAD_CHUNK_ROWS = 5_000


@dataclass(frozen=True)
class StagingTable:
    """A temporary table a kind fills while the file is read; every row starts with its CSV line."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (name, SQL type), after the implicit `line integer`
    index: tuple[str, ...] = ()
    # Every value of every row is an int or a str (never None): PostgreSQL then takes the rows
    # in COPY's text format, spelled by one %-format per row — a third of what psycopg's
    # per-row binary packing costs, for the narrow tables (memberships) that have millions.
    plain: bool = False

    @property
    def column_names(self) -> list[str]:
        return ["line", *(name for name, _ in self.columns)]


def _copy_text(rows: list[tuple], width: int) -> str | None:
    """The rows in COPY's text format, or None when a value would need escaping (a tab, line
    break or backslash inside a value): checked once over the whole batch by counting, since
    each row adds exactly width - 1 tabs and one line feed of its own."""
    row_format = "\t".join(["%s"] * width) + "\n"
    text = "".join([row_format % row for row in rows])
    if (
        text.count("\n") != len(rows)
        or text.count("\t") != (width - 1) * len(rows)
        or "\\" in text
        or "\r" in text
    ):
        return None
    return text


class Staging:
    """Temporary tables on the current connection; `drop()` them when the import ends."""

    def __init__(self, using: str = "default"):
        self.connection = connections[using]
        self.vendor = self.connection.vendor
        if self.vendor not in {"postgresql", "sqlite"}:
            raise ApplicationError(f"CSV imports support PostgreSQL and SQLite, not {self.vendor}.")
        self.tables: list[str] = []
        self._types: dict[str, dict[str, int]] = {}
        self._plain: set[str] = set()

    # --- SQL spellings --------------------------------------------------------------------------
    def qn(self, name: str) -> str:
        return self.connection.ops.quote_name(name)

    def distinct(self, left: str, right: str) -> str:
        """NULL-safe "differs": IS DISTINCT FROM on PostgreSQL, IS NOT on SQLite."""
        operator = "IS DISTINCT FROM" if self.vendor == "postgresql" else "IS NOT"
        return f"({left} {operator} {right})"

    def any_distinct(self, pairs: Iterable[tuple[str, str]]) -> str:
        parts = [self.distinct(left, right) for left, right in pairs]
        return "(" + " OR ".join(parts) + ")" if parts else "FALSE"

    @property
    def select_where_true(self) -> str:
        # SQLite cannot tell `INSERT … SELECT … FROM t ON CONFLICT` from a join constraint
        # without a WHERE clause; harmless on PostgreSQL.
        return "WHERE true"

    @property
    def row_order(self) -> str:
        """The hidden column that orders an append-only staging table's rows as they were loaded."""
        return "ctid" if self.vendor == "postgresql" else "rowid"

    def column_type(self, model, field_name: str) -> str:
        return model._meta.get_field(field_name).db_type(self.connection)

    # --- tables ---------------------------------------------------------------------------------
    def create(self, table: StagingTable | str, columns: list[tuple[str, str]] | None = None, *, primary_key=None):
        """Create a temporary table (kept for the session until drop(), so it can be filled in
        autocommit mode while the file is read and used by the write transaction later)."""
        if isinstance(table, StagingTable):
            name, columns = table.name, [("line", "integer"), *table.columns]
            if table.plain:
                self._plain.add(name)
        else:
            name = table
        cols = ", ".join(f"{self.qn(col)} {sql_type}" for col, sql_type in columns)
        if primary_key:
            cols += f", PRIMARY KEY ({primary_key})"
        self.execute(f"DROP TABLE IF EXISTS {self.qn(name)}")
        self.execute(f"CREATE TEMPORARY TABLE {self.qn(name)} ({cols})")
        self._types.pop(name, None)
        self.tables.append(name)
        return name

    def index(self, table: str, *columns: str) -> None:
        name = f"{table}_{'_'.join(columns)}_idx"
        self.execute(f"CREATE INDEX {self.qn(name)} ON {self.qn(table)} ({', '.join(self.qn(c) for c in columns)})")

    def load(self, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
        """Append rows to a staging table. The only vendor-specific step of an import."""
        names = ", ".join(self.qn(col) for col in columns)
        started = time.perf_counter()
        count = 0
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                # Binary COPY: psycopg packs each value in C and the server parses no text (the
                # text format spends most of its time formatting and re-parsing timestamps).
                # The price is exact types: aware datetimes for timestamptz, Decimal for numeric.
                if table in self._plain and isinstance(rows, list):
                    text = _copy_text(rows, len(columns))
                    if text is not None:
                        with cursor.copy(f"COPY {self.qn(table)} ({names}) FROM STDIN") as copy:
                            copy.write(text)
                        logger.debug("%.2f s: loaded %s rows into %s", time.perf_counter() - started, len(rows), table)
                        return len(rows)
                types = self._column_types(table)
                with cursor.copy(f"COPY {self.qn(table)} ({names}) FROM STDIN (FORMAT binary)") as copy:
                    copy.set_types([types[col] for col in columns])
                    write_row = copy.write_row
                    if isinstance(rows, list):
                        for row in rows:
                            write_row(row)
                        count = len(rows)
                    else:
                        for row in rows:
                            write_row(row)
                            count += 1
            else:
                sql = f"INSERT INTO {self.qn(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
                adapt = self._sqlite_adapter()
                batch = [tuple(adapt(value) for value in row) for row in rows]
                for start in range(0, len(batch), LOAD_CHUNK_ROWS):
                    cursor.executemany(sql, batch[start : start + LOAD_CHUNK_ROWS])
                count = len(batch)
        logger.debug("%.2f s: loaded %s rows into %s", time.perf_counter() - started, count, table)
        return count

    def _column_types(self, table: str) -> dict[str, int]:
        """Column name → type oid of a staging table (what a binary COPY must be told)."""
        if table not in self._types:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass "
                    "AND attnum > 0 AND NOT attisdropped",
                    [self.qn(table)],
                )
                self._types[table] = dict(cursor.fetchall())
        return self._types[table]

    def tune(self) -> None:
        """Settings for the write transaction only (SET LOCAL): the hash joins and sorts over a
        whole file (a million rows is ~200 MB) stay in memory instead of spilling to disk, and no
        JIT compilation, which costs more than it saves on one-off INSERT … SELECTs."""
        if self.vendor == "postgresql":
            self.execute("SET LOCAL work_mem = '256MB'")
            self.execute("SET LOCAL jit = off")
            # ANALYZE of a staging table is for row counts and rough distinct counts: a 3,000-row
            # sample (instead of 30,000) is plenty and ten times quicker.
            self.execute("SET LOCAL default_statistics_target = 10")

    def analyze(self, table: str) -> None:
        """Give the planner the row count of a filled temporary table (autovacuum never does)."""
        if self.vendor == "postgresql":
            self.execute(f"ANALYZE {self.qn(table)}")

    def prepare(self, table: StagingTable) -> None:
        """Index and analyse a filled staging table (cheaper than keeping an index while loading)."""
        if table.index:
            self.index(table.name, *table.index)
        self.analyze(table.name)

    def discard_lines(self, tables: Iterable[StagingTable], lines: set[int]) -> None:
        """Remove rows rejected after they were staged (e.g. by a whole-file parent-cycle check)."""
        if not lines:
            return
        holder = self.create("import_discarded", [("line", "integer")])
        self.load(holder, ["line"], ((line,) for line in sorted(lines)))
        for table in tables:
            self.execute(f"DELETE FROM {self.qn(table.name)} WHERE line IN (SELECT line FROM {self.qn(holder)})")

    def count(self, table: str) -> int:
        return self.scalar(f"SELECT COUNT(*) FROM {self.qn(table)}")

    def _sqlite_adapter(self):
        ops = self.connection.ops

        # Store values exactly as the ORM would, so "unchanged" compares equal.
        def adapt(value):
            if isinstance(value, datetime):
                return ops.adapt_datetimefield_value(value)
            if isinstance(value, date):
                return ops.adapt_datefield_value(value)
            return value

        return adapt

    def adapt_datetime(self, value: datetime):
        return self.connection.ops.adapt_datetimefield_value(value)

    # --- statements -----------------------------------------------------------------------------
    def execute(self, sql: str, params: Iterable = ()) -> int:
        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            count = cursor.rowcount
        logger.debug("%.2f s, %s rows: %s", time.perf_counter() - started, count, sql)
        return count

    def scalar(self, sql: str, params: Iterable = ()):
        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            row = cursor.fetchone()
        logger.debug("%.2f s: %s", time.perf_counter() - started, sql)
        return row[0] if row else None

    def fetch(self, sql: str, params: Iterable = ()) -> list[tuple]:
        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            rows = cursor.fetchall()
        logger.debug("%.2f s, %s rows: %s", time.perf_counter() - started, len(rows), sql)
        return rows

    def drop(self) -> None:
        """Drop every staging table; a no-op on a connection whose transaction already failed
        (the tables then vanish with the session, or with the next import's DROP IF EXISTS)."""
        if self.connection.needs_rollback or (self.connection.connection is None):
            self.tables = []
            return
        try:
            for name in reversed(self.tables):
                self.execute(f"DROP TABLE IF EXISTS {self.qn(name)}")
        except DatabaseError:
            logger.warning("Could not drop the import staging tables", exc_info=True)
        self.tables = []
