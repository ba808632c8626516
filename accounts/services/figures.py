"""A company's own product figures — Σ mrr and Σ seats of its workspaces and how many there are —
kept on the company row (`Company.OWN_FIGURES`) by database triggers on the workspaces table.

Why stored: sorting the account list by ARR (or workspaces) needs every company's figure. Computed,
that is 100,000 index probes and sums per page (~200 ms on PostgreSQL at 100k companies); stored,
it is a plain column. Why triggers rather than service calls: workspaces are written by imports
(raw COPY / INSERT … ON CONFLICT), resolution runs (set-based UPDATEs of company_id), review
decisions, product events, the admin and the demo seeder. A trigger sees every one of them,
including the ones written after this module, and adds a delta inside the writing transaction, so the
figures are never stale and never half-applied.

- PostgreSQL: one statement-level trigger per event, with transition tables: one UPDATE of the
  companies whose sums changed per statement, whatever the number of rows (a resolution run that
  moves 200,000 workspaces updates each company once). The figure columns are not indexed, so with
  the company table's fillfactor (migration 0011) those updates stay on their page (HOT).
- SQLite (the embedded first run): row-level triggers.

The triggers are (re)installed after every `migrate` (`install_triggers`, idempotent): SQLite drops
a table's triggers whenever a migration rebuilds that table. When a trigger was missing the
figures are recomputed from the workspaces (`recompute`).
"""
from __future__ import annotations

from django.db import connection as default_connection

COMPANY = "accounts_company"
WORKSPACE = "accounts_workspace"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION accounts_workspace_own_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One delta per company: + the rows as they are now, - the rows as they were. Rows whose
    -- company, mrr and seats did not change cancel out and leave their company untouched.
    IF TG_OP = 'INSERT' THEN
        UPDATE {COMPANY} c SET own_mrr = c.own_mrr + d.mrr, own_seats = c.own_seats + d.seats,
               own_workspaces = c.own_workspaces + d.n
        FROM (SELECT company_id, SUM(mrr) AS mrr, SUM(seats) AS seats, COUNT(*) AS n
              FROM new_rows WHERE company_id IS NOT NULL GROUP BY company_id) d
        WHERE c.id = d.company_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE {COMPANY} c SET own_mrr = c.own_mrr - d.mrr, own_seats = c.own_seats - d.seats,
               own_workspaces = c.own_workspaces - d.n
        FROM (SELECT company_id, SUM(mrr) AS mrr, SUM(seats) AS seats, COUNT(*) AS n
              FROM old_rows WHERE company_id IS NOT NULL GROUP BY company_id) d
        WHERE c.id = d.company_id;
    ELSE
        UPDATE {COMPANY} c SET own_mrr = c.own_mrr + d.mrr, own_seats = c.own_seats + d.seats,
               own_workspaces = c.own_workspaces + d.n
        FROM (SELECT company_id, SUM(mrr) AS mrr, SUM(seats) AS seats, SUM(n) AS n
              FROM (SELECT company_id, mrr, seats::bigint AS seats, 1 AS n
                    FROM new_rows WHERE company_id IS NOT NULL
                    UNION ALL
                    SELECT company_id, -mrr, -seats::bigint, -1
                    FROM old_rows WHERE company_id IS NOT NULL) change
              GROUP BY company_id
              HAVING SUM(n) <> 0 OR SUM(mrr) <> 0 OR SUM(seats) <> 0) d
        WHERE c.id = d.company_id;
    END IF;
    RETURN NULL;
END
$$
"""

_PG_TRIGGERS = {
    "accounts_workspace_figures_ins": "AFTER INSERT ON {t} REFERENCING NEW TABLE AS new_rows",
    "accounts_workspace_figures_upd": "AFTER UPDATE ON {t} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "accounts_workspace_figures_del": "AFTER DELETE ON {t} REFERENCING OLD TABLE AS old_rows",
}

_ADD = "own_mrr = own_mrr + NEW.mrr, own_seats = own_seats + NEW.seats, own_workspaces = own_workspaces + 1"
_SUB = "own_mrr = own_mrr - OLD.mrr, own_seats = own_seats - OLD.seats, own_workspaces = own_workspaces - 1"
_SQLITE_TRIGGERS = {
    "accounts_workspace_figures_ins": (
        f"AFTER INSERT ON {WORKSPACE} WHEN NEW.company_id IS NOT NULL BEGIN "
        f"UPDATE {COMPANY} SET {_ADD} WHERE id = NEW.company_id; END"
    ),
    "accounts_workspace_figures_upd": (
        f"AFTER UPDATE OF company_id, mrr, seats ON {WORKSPACE} BEGIN "
        f"UPDATE {COMPANY} SET {_SUB} WHERE id = OLD.company_id; "
        f"UPDATE {COMPANY} SET {_ADD} WHERE id = NEW.company_id; END"
    ),
    "accounts_workspace_figures_del": (
        f"AFTER DELETE ON {WORKSPACE} WHEN OLD.company_id IS NOT NULL BEGIN "
        f"UPDATE {COMPANY} SET {_SUB} WHERE id = OLD.company_id; END"
    ),
}

_RECOMPUTE = f"""
UPDATE {COMPANY} SET
    own_mrr = COALESCE((SELECT SUM(w.mrr) FROM {WORKSPACE} w WHERE w.company_id = {COMPANY}.id), 0),
    own_seats = COALESCE((SELECT SUM(w.seats) FROM {WORKSPACE} w WHERE w.company_id = {COMPANY}.id), 0),
    own_workspaces = (SELECT COUNT(*) FROM {WORKSPACE} w WHERE w.company_id = {COMPANY}.id)
"""

_PG_RECOMPUTE = f"""
UPDATE {COMPANY} c SET own_mrr = COALESCE(w.mrr, 0), own_seats = COALESCE(w.seats, 0), own_workspaces = COALESCE(w.n, 0)
FROM {COMPANY} c2 LEFT JOIN (SELECT company_id, SUM(mrr) AS mrr, SUM(seats) AS seats, COUNT(*) AS n
                             FROM {WORKSPACE} WHERE company_id IS NOT NULL GROUP BY company_id) w
     ON w.company_id = c2.id
WHERE c.id = c2.id AND (c.own_mrr, c.own_seats, c.own_workspaces)
      IS DISTINCT FROM (COALESCE(w.mrr, 0), COALESCE(w.seats, 0), COALESCE(w.n, 0))
"""


def _existing(cursor, vendor: str) -> set[str]:
    if vendor == "postgresql":
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [WORKSPACE])
    else:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [WORKSPACE])
    return {row[0] for row in cursor.fetchall()}


def install_triggers(connection=None) -> bool:
    """Create the figure triggers that are missing; recompute every company's figures when one was.

    Returns True when something was installed. Idempotent; runs after every `migrate`.
    """
    connection = connection or default_connection
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"company figure triggers for {vendor}")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM information_schema.columns WHERE table_name = %s "
                       f"AND column_name = 'own_workspaces'" if vendor == "postgresql"
                       else f"SELECT COUNT(*) FROM pragma_table_info('{COMPANY}') WHERE name = 'own_workspaces'",
                       [COMPANY] if vendor == "postgresql" else None)
        if not cursor.fetchone()[0]:
            return False  # migrated backwards past the columns
        wanted = _PG_TRIGGERS if vendor == "postgresql" else _SQLITE_TRIGGERS
        missing = [name for name in wanted if name not in _existing(cursor, vendor)]
        if not missing:
            return False
        if vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
        for name in missing:
            if vendor == "postgresql":
                cursor.execute(f"CREATE TRIGGER {name} {_PG_TRIGGERS[name].format(t=WORKSPACE)} "
                               "FOR EACH STATEMENT EXECUTE FUNCTION accounts_workspace_own_figures()")
            else:
                cursor.execute(f"CREATE TRIGGER {name} {_SQLITE_TRIGGERS[name]}")
    recompute(connection)
    return True


def drop_triggers(connection=None) -> None:
    connection = connection or default_connection
    with connection.cursor() as cursor:
        for name in _PG_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {WORKSPACE}" if connection.vendor == "postgresql"
                           else f"DROP TRIGGER IF EXISTS {name}")
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS accounts_workspace_own_figures()")


def recompute(connection=None) -> int:
    """Every company's own figures from its workspaces, set-based; returns the companies corrected."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute(_PG_RECOMPUTE if connection.vendor == "postgresql" else _RECOMPUTE)
        return cursor.rowcount
