"""The upsert every keyed kind shares, written once for PostgreSQL and SQLite.

1. `touched` collects the keys of existing rows whose values differ from the staging row
   (and, from the kind, those whose related rows — memberships, domains — differ);
2. new rows are counted with an anti-join, before anything is written;
3. one INSERT … SELECT … ON CONFLICT (key) DO UPDATE writes the new and the touched rows only,
   so a re-import of an unchanged file writes nothing and moves no `updated_at`.
"""

from datetime import datetime

from django.db import models

from .staging import Staging


def insert_defaults(staging: Staging, model, *, exclude: set[str]) -> dict[str, object]:
    """Values for the NOT NULL columns an import does not fill (Django has no DB defaults here)."""
    values: dict[str, object] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in exclude or field.null:
            continue
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            continue
        values[field.column] = field.get_db_prep_save(field.get_default(), staging.connection)
    return values


def create_touched(staging: Staging, name: str) -> str:
    staging.create(name, [("k", "varchar(255) NOT NULL")], primary_key=staging.qn("k"))
    return name


def mark_touched(staging: Staging, *, touched: str, select_keys_sql: str, params=()) -> None:
    """Add the keys returned by `select_keys_sql` (one column named k) to the touched set."""
    staging.execute(
        f"INSERT INTO {staging.qn(touched)} (k) SELECT DISTINCT changed.k FROM ({select_keys_sql}) changed "
        f"WHERE changed.k IS NOT NULL ON CONFLICT DO NOTHING",
        params,
    )


def mark_changed_columns(
    staging: Staging, *, touched: str, stg: str, table: str, key: str, compare: list[tuple[str, str]]
) -> None:
    """Touch existing rows whose column `target` differs from staging column `source`."""
    if not compare:
        return
    qn = staging.qn
    differs = staging.any_distinct((f"t.{qn(target)}", f"s.{qn(source)}") for target, source in compare)
    mark_touched(
        staging,
        touched=touched,
        select_keys_sql=(
            f"SELECT t.{qn(key)} AS k FROM {qn(stg)} s JOIN {qn(table)} t ON t.{qn(key)} = s.{qn(key)} WHERE {differs}"
        ),
    )


def count_new(staging: Staging, *, stg: str, table: str, key: str) -> int:
    qn = staging.qn
    return staging.scalar(
        f"SELECT COUNT(*) FROM {qn(stg)} s WHERE NOT EXISTS "
        f"(SELECT 1 FROM {qn(table)} t WHERE t.{qn(key)} = s.{qn(key)})"
    )


def count_touched(staging: Staging, touched: str) -> int:
    return staging.scalar(f"SELECT COUNT(*) FROM {staging.qn(touched)}")


def upsert(
    staging: Staging,
    *,
    stg: str,
    table: str,
    key: str,
    columns: list[tuple[str, str]],
    update_columns: list[str],
    touched: str,
    insert_values: dict[str, object],
    update_values: dict[str, object],
) -> int:
    """Insert the new rows and update the touched ones.

    `columns` are (target column, staging column) pairs written on insert; `update_columns` the
    target columns an update may change (the ones present in the file); `insert_values` /
    `update_values` fixed parameters such as created_at / updated_at.
    """
    qn = staging.qn
    fixed = {**insert_values, **{col: value for col, value in update_values.items() if col not in insert_values}}
    target_cols = [qn(key), *(qn(target) for target, _ in columns), *(qn(col) for col in fixed)]
    select_cols = [f"s.{qn(key)}", *(f"s.{qn(source)}" for _, source in columns), *(["%s"] * len(fixed))]
    sets = [f"{qn(col)} = excluded.{qn(col)}" for col in [*update_columns, *update_values]]
    conflict = f"DO UPDATE SET {', '.join(sets)}" if sets else "DO NOTHING"
    sql = (
        f"INSERT INTO {qn(table)} ({', '.join(target_cols)}) "
        f"SELECT {', '.join(select_cols)} FROM {qn(stg)} s "
        f"WHERE s.{qn(key)} IN (SELECT k FROM {qn(touched)}) "
        f"OR NOT EXISTS (SELECT 1 FROM {qn(table)} t WHERE t.{qn(key)} = s.{qn(key)}) "
        f"ORDER BY s.line "  # file order: new rows get ids in the order the file lists them
        f"ON CONFLICT ({qn(key)}) {conflict}"
    )
    return staging.execute(sql, [adapt(staging, value) for value in fixed.values()])


def adapt(staging: Staging, value):
    if isinstance(value, datetime):
        return staging.adapt_datetime(value)
    return value
