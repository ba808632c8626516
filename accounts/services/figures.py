"""A company's own product figures — Σ mrr and Σ seats of its workspaces and how many there are —
kept in `accounts_companyfigures` (`CompanyFigures`) by database triggers on the workspaces table.

Why stored: sorting the account list by ARR (or workspaces) needs every company's figure. Computed,
that is 100,000 index probes and sums per page (~200 ms on PostgreSQL at 100k companies); stored, it
is a join with a narrow table. Why triggers rather than service calls: workspaces are written by
imports (COPY, INSERT … ON CONFLICT), resolution runs (set-based UPDATEs of company_id), review
decisions, product events, the admin and the demo seeder. A trigger sees every one of them, including
the ones written after this module, and adds a delta inside the writing transaction, so the figures
are never stale and never half-applied. Why a table of its own: a company row carries a dozen indexes
(trigram ones among them); updating 46,000 of them took 3.6 s where these narrow rows take a fraction.

- PostgreSQL: one statement-level trigger per event, with transition tables: one upsert of the
  companies whose sums changed per statement, whatever the number of rows (a resolution run that moves
  200,000 workspaces touches each company's row once), in company order, so two statements that touch
  the same companies lock them in the same order and cannot deadlock on them.
- SQLite (the embedded first run): row-level triggers.

The triggers are (re)installed after every `migrate` (`install_triggers`, idempotent): SQLite drops a
table's triggers whenever a migration rebuilds that table. When a trigger was missing the figures are
recomputed from the workspaces (`recompute`).
"""
from __future__ import annotations

from django.db import connection as default_connection

FIGURES = "accounts_companyfigures"
WORKSPACE = "accounts_workspace"
COMPANY = "accounts_company"

_UPSERT = (
    f"INSERT INTO {FIGURES} AS f (company_id, mrr, seats, workspaces) "
    "SELECT company_id, SUM(mrr), SUM(seats), SUM(n) FROM ({rows}) change "
    "GROUP BY company_id HAVING SUM(n) <> 0 OR SUM(mrr) <> 0 OR SUM(seats) <> 0 ORDER BY company_id "
    "ON CONFLICT (company_id) DO UPDATE SET mrr = f.mrr + excluded.mrr, seats = f.seats + excluded.seats, "
    "workspaces = f.workspaces + excluded.workspaces"
)
_NEW = "SELECT company_id, mrr, seats::bigint AS seats, 1 AS n FROM new_rows WHERE company_id IS NOT NULL"
_OLD = "SELECT company_id, -mrr AS mrr, -seats::bigint AS seats, -1 AS n FROM old_rows WHERE company_id IS NOT NULL"

# One delta per company: + the rows as they are now, - the rows as they were. Rows whose company, mrr
# and seats did not change cancel out and leave their company's figures untouched.
_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION accounts_workspace_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_UPSERT.format(rows=_NEW)};
    ELSIF TG_OP = 'DELETE' THEN
        {_UPSERT.format(rows=_OLD)};
    ELSE
        {_UPSERT.format(rows=_NEW + " UNION ALL " + _OLD)};
    END IF;
    RETURN NULL;
END
$$
"""

# A deleted company takes its row along. Not a foreign key's ON DELETE CASCADE (Django 5.2 cannot
# declare one) nor Django's own cascade: Django deletes the dependent rows first and releases the
# company's workspaces (SET NULL) after, and that release would write the row again.
_PG_COMPANY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION accounts_company_figures_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {FIGURES} WHERE company_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END
$$
"""

_PG_TRIGGERS = {  # name: (table, what fires it, function)
    "accounts_workspace_figures_ins": (WORKSPACE, "AFTER INSERT ON {t} REFERENCING NEW TABLE AS new_rows",
                                       "accounts_workspace_figures"),
    "accounts_workspace_figures_upd": (WORKSPACE, "AFTER UPDATE ON {t} REFERENCING OLD TABLE AS old_rows "
                                       "NEW TABLE AS new_rows", "accounts_workspace_figures"),
    "accounts_workspace_figures_del": (WORKSPACE, "AFTER DELETE ON {t} REFERENCING OLD TABLE AS old_rows",
                                       "accounts_workspace_figures"),
    "accounts_company_figures_del": (COMPANY, "AFTER DELETE ON {t} REFERENCING OLD TABLE AS old_rows",
                                     "accounts_company_figures_gone"),
}


def _sqlite_upsert(row: str, sign: str) -> str:
    """Add (sign "") or take away (sign "-") the OLD or NEW workspace row's figures, if it has a company."""
    return (f"INSERT INTO {FIGURES} (company_id, mrr, seats, workspaces) "
            f"SELECT {row}.company_id, {sign}{row}.mrr, {sign}{row}.seats, {sign}1 WHERE {row}.company_id IS NOT NULL "
            "ON CONFLICT (company_id) DO UPDATE SET mrr = mrr + excluded.mrr, seats = seats + excluded.seats, "
            "workspaces = workspaces + excluded.workspaces;")


_SQLITE_TRIGGERS = {  # name: (table, body)
    "accounts_workspace_figures_ins": (WORKSPACE, f"AFTER INSERT ON {WORKSPACE} BEGIN {_sqlite_upsert('NEW', '')} END"),
    "accounts_workspace_figures_upd": (WORKSPACE, (
        f"AFTER UPDATE OF company_id, mrr, seats ON {WORKSPACE} BEGIN "
        f"{_sqlite_upsert('OLD', '-')} {_sqlite_upsert('NEW', '')} END"
    )),
    "accounts_workspace_figures_del": (WORKSPACE, f"AFTER DELETE ON {WORKSPACE} BEGIN {_sqlite_upsert('OLD', '-')} END"),
    "accounts_company_figures_del": (COMPANY, (
        f"AFTER DELETE ON {COMPANY} BEGIN DELETE FROM {FIGURES} WHERE company_id = OLD.id; END"
    )),
}

_ACTUAL = (f"SELECT company_id, SUM(mrr) AS mrr, SUM(seats) AS seats, COUNT(*) AS n FROM {WORKSPACE} "
           "WHERE company_id IS NOT NULL GROUP BY company_id")
_PG_RECOMPUTE = f"""
WITH actual AS ({_ACTUAL}),
gone AS (DELETE FROM {FIGURES} f WHERE (f.mrr <> 0 OR f.seats <> 0 OR f.workspaces <> 0)
         AND NOT EXISTS (SELECT 1 FROM actual a WHERE a.company_id = f.company_id) RETURNING 1),
put AS (INSERT INTO {FIGURES} AS f (company_id, mrr, seats, workspaces)
        SELECT company_id, mrr, seats, n FROM actual ORDER BY company_id
        ON CONFLICT (company_id) DO UPDATE SET mrr = excluded.mrr, seats = excluded.seats, workspaces = excluded.workspaces
        WHERE (f.mrr, f.seats, f.workspaces) IS DISTINCT FROM (excluded.mrr, excluded.seats, excluded.workspaces)
        RETURNING 1)
SELECT (SELECT COUNT(*) FROM gone) + (SELECT COUNT(*) FROM put)
"""


def _existing(cursor, vendor: str) -> set[str]:
    if vendor == "postgresql":
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid IN (%s::regclass, %s::regclass) "
                       "AND NOT tgisinternal", [WORKSPACE, COMPANY])
    else:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s)",
                       [WORKSPACE, COMPANY])
    return {row[0] for row in cursor.fetchall()}


def install_triggers(connection=None) -> bool:
    """Create the figure triggers that are missing; recompute every company's figures when one was.

    Returns True when something was installed. Idempotent; runs after every `migrate`.
    """
    connection = connection or default_connection
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"company figure triggers for {vendor}")
    if FIGURES not in connection.introspection.table_names():
        return False  # migrated backwards past the table
    with connection.cursor() as cursor:
        wanted = _PG_TRIGGERS if vendor == "postgresql" else _SQLITE_TRIGGERS
        missing = [name for name in wanted if name not in _existing(cursor, vendor)]
        if not missing:
            return False
        if vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
            cursor.execute(_PG_COMPANY_FUNCTION)
        for name in missing:
            if vendor == "postgresql":
                table, event, function = _PG_TRIGGERS[name]
                cursor.execute(f"CREATE TRIGGER {name} {event.format(t=table)} FOR EACH STATEMENT "
                               f"EXECUTE FUNCTION {function}()")
            else:
                cursor.execute(f"CREATE TRIGGER {name} {_SQLITE_TRIGGERS[name][1]}")
    recompute(connection)
    return True


def drop_triggers(connection=None) -> None:
    connection = connection or default_connection
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for name, (table, *_) in (_PG_TRIGGERS if postgres else _SQLITE_TRIGGERS).items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}" if postgres else f"DROP TRIGGER IF EXISTS {name}")
        if postgres:
            cursor.execute("DROP FUNCTION IF EXISTS accounts_workspace_figures()")
            cursor.execute("DROP FUNCTION IF EXISTS accounts_company_figures_gone()")


def recompute(connection=None) -> int:
    """Every company's own figures from its workspaces, set-based. Returns the rows corrected (on SQLite,
    which rewrites the table, the rows written)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_RECOMPUTE)
            return cursor.fetchone()[0]
        cursor.execute(f"DELETE FROM {FIGURES}")
        cursor.execute(f"INSERT INTO {FIGURES} (company_id, mrr, seats, workspaces) "
                       f"SELECT company_id, mrr, seats, n FROM ({_ACTUAL}) actual")
        return cursor.rowcount
