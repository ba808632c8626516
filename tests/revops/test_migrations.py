"""Every migration applies forwards on a database that holds data, and loses none of it.

A scratch PostgreSQL database is migrated one migration at a time, from empty to the latest state.
Before each step, every table that is still empty gets a representative row (built from the
historical model of that moment: defaults, first choices, small valid values, parents created as
needed), and every row of every table is read; after the step each of those rows must still be
there with the same values — following renamed models and fields. So each app's latest migrations
run against rows written by the schema before them, as on an upgrade of a live database.

A migration that deliberately drops data (RemoveField, DeleteModel, a clean-up RunPython) must be
listed in DELIBERATE_DROPS with the reason, or this test fails. bench/migrate_copy.py does the
same check on a copy of the large demo database (row counts per table).
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import uuid
from decimal import Decimal

import pytest
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models, transaction
from django.db.migrations import operations
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import ProjectState

pytestmark = pytest.mark.postgres

ALIAS = DEFAULT_DB_ALIAS

# {(app_label, migration name): {"model" or "model.field" (lower case): why the data may go}}
DELIBERATE_DROPS: dict[tuple[str, str], dict[str, str]] = {
    ("contenttypes", "0002_remove_content_type_name"): {"contenttype.name": "Django's own: the name is computed"},
}


@pytest.fixture
def scratch(require_postgres, django_db_blocker):
    """An empty database of its own (not the test database, which other tests share).

    It stands in for the default database while the test runs: data migrations (e.g. accounts 0002)
    write through the default connection, as `manage.py migrate` does. No django_db mark: the test
    runs outside the test-case transaction.
    """
    saved = connections.settings[DEFAULT_DB_ALIAS]
    name = f"test_{saved['NAME'].removeprefix('test_')}_migrations"[:63]
    with django_db_blocker.unblock():
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        _use_default({**saved, "NAME": name, "CONN_MAX_AGE": 0})
        try:
            yield connections[DEFAULT_DB_ALIAS]
        finally:
            _use_default(saved)
            with connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _use_default(settings_dict: dict) -> None:
    connections[DEFAULT_DB_ALIAS].close()
    del connections[DEFAULT_DB_ALIAS]  # the next access opens a connection with these settings
    connections.settings[DEFAULT_DB_ALIAS] = settings_dict


# --- representative rows -----------------------------------------------------------------------


class RowMaker:
    """One valid row for a historical model, parents first."""

    def __init__(self, alias: str):
        self.alias = alias
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def value(self, field: models.Field):
        n = self._next()
        if field.has_default():
            return field.get_default()
        if field.choices:
            return field.flatchoices[0][0]
        if isinstance(field, models.EmailField):
            return f"row{n}@example.com"
        if isinstance(field, models.URLField):
            return f"https://example.com/row{n}"
        if isinstance(field, models.GenericIPAddressField):
            return "192.0.2.1"
        if isinstance(field, models.UUIDField):
            return uuid.uuid4()
        if isinstance(field, (models.CharField, models.TextField)):
            return f"row{n}"[: field.max_length or None]
        if isinstance(field, models.BooleanField):
            return False
        if isinstance(field, models.DecimalField):
            return Decimal(1) if field.max_digits - field.decimal_places >= 1 else Decimal("0.5")
        if isinstance(field, models.FloatField):
            return 1.0
        if isinstance(field, models.IntegerField):  # all integer kinds
            return n if field.unique else 1
        if isinstance(field, models.DateTimeField):
            return dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC)
        if isinstance(field, models.DateField):
            return dt.date(2024, 1, 1)
        if isinstance(field, models.TimeField):
            return dt.time(9, 0)
        if isinstance(field, models.DurationField):
            return dt.timedelta(hours=1)
        if isinstance(field, models.JSONField):
            return {}
        if isinstance(field, models.BinaryField):
            return b"row"
        if isinstance(field, models.FileField):
            return f"scratch/row{n}.csv"
        if field.get_internal_type() == "ArrayField":
            return []
        raise NotImplementedError(f"no sample value for {field.__class__.__name__} {field}")

    def parent(self, field: models.ForeignKey, depth: int):
        target = field.remote_field.model
        if not field.one_to_one:
            existing = target._base_manager.using(self.alias).values_list(field.target_field.attname, flat=True).first()
            if existing is not None:
                return existing
        row = self.make(target, depth=depth + 1)
        return getattr(row, field.target_field.attname)

    def make(self, model, depth: int = 0):
        if depth > 6:
            raise RecursionError(f"parents of {model._meta.label} nest too deep")
        fields = [f for f in model._meta.local_concrete_fields if not isinstance(f, models.AutoField)]
        nullable_fks = [f for f in fields if f.is_relation and f.null]
        # Nullable columns empty first (what most constraints allow), then filled, then one relation at a time
        # (for "exactly one of these" constraints).
        attempts = [set(), {f for f in fields if f.null and not f.is_relation}, {f for f in fields if f.null}]
        attempts += [{f} for f in nullable_fks]
        error = None
        for filled in attempts:
            values = {}
            for f in fields:
                if f.null and f not in filled:
                    values[f.attname] = None
                elif f.is_relation:
                    values[f.attname] = None if f.remote_field.model is model else self.parent(f, depth)
                else:
                    values[f.attname] = self.value(f)
            try:
                with transaction.atomic(using=self.alias):
                    row = model(**values)
                    row.save(using=self.alias, force_insert=True)
                    return row
            except DatabaseError as exc:
                error = exc
        raise error


# --- reading every row ---------------------------------------------------------------------------


def _data_models(state: ProjectState):
    return [
        m for m in state.apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.swapped
    ]


def snapshot(state: ProjectState, alias: str) -> dict[tuple[str, str], dict]:
    """{(app_label, model name): {pk: {field name: value}}} for every table of the state."""
    rows = {}
    with connections[alias].cursor() as cursor:
        for model in _data_models(state):
            fields = model._meta.local_concrete_fields
            quote = connections[alias].ops.quote_name
            cursor.execute(f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(model._meta.db_table)}")
            pk_index = fields.index(model._meta.pk) if model._meta.pk in fields else 0
            rows[(model._meta.app_label, model._meta.model_name)] = {
                record[pk_index]: {f.name: value for f, value in zip(fields, record)} for record in cursor.fetchall()
            }
    return rows


def lost_data(migration, before: dict, after: dict) -> list[str]:
    """What `before` held that `after` does not, following the migration's renames."""
    app = migration.app_label
    model_renames = {
        (app, op.old_name_lower): (app, op.new_name_lower) for op in migration.operations if isinstance(op, operations.RenameModel)
    }
    field_renames = {
        (app, op.model_name_lower, op.old_name): op.new_name
        for op in migration.operations if isinstance(op, operations.RenameField)
    }
    allowed = DELIBERATE_DROPS.get((app, migration.name), {})
    problems = []
    for key, rows in before.items():
        if not rows:
            continue
        new_key = model_renames.get(key, key)
        if new_key not in after:
            if key[1] not in allowed:
                problems.append(f"{key[0]}.{key[1]}: table gone with {len(rows)} row(s)")
            continue
        for pk, values in rows.items():
            survivor = after[new_key].get(pk)
            if survivor is None:
                problems.append(f"{key[0]}.{key[1]} pk={pk}: row gone")
                continue
            for name, value in values.items():
                new_name = field_renames.get((*key, name), name)
                if new_name not in survivor and (app, name) in model_renames:
                    new_name = model_renames[(app, name)][1]  # a many-to-many table's column follows its model
                if new_name not in survivor:
                    if value is not None and f"{key[1]}.{name}" not in allowed:
                        problems.append(f"{key[0]}.{key[1]}.{name} pk={pk}: column gone (was {value!r})")
                elif survivor[new_name] != value and str(survivor[new_name]) != str(value):
                    problems.append(f"{key[0]}.{key[1]}.{name} pk={pk}: {value!r} became {survivor[new_name]!r}")
    return problems


# --- the walk ------------------------------------------------------------------------------------


def test_every_migration_applies_forwards_on_a_database_with_data_and_keeps_it(scratch):
    executor = MigrationExecutor(scratch)
    leaves = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(leaves, clean_start=True)
    state = ProjectState(real_apps=executor.loader.unmigrated_apps)
    maker = RowMaker(ALIAS)
    unfillable, problems, rows_checked, project_steps = {}, [], 0, 0

    for migration, _backwards in plan:
        for model in _data_models(state):
            label = model._meta.label
            if label in unfillable or model._base_manager.using(ALIAS).exists():
                continue
            try:
                maker.make(model)
            except (DatabaseError, NotImplementedError, RecursionError) as exc:
                unfillable[label] = f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"
        before = snapshot(state, ALIAS)

        state = executor.apply_migration(state, migration)

        after = snapshot(state, ALIAS)
        problems += [f"{migration.app_label}.{migration.name}: {p}" for p in lost_data(migration, before, after)]
        rows_checked += sum(len(rows) for rows in before.values())
        project_steps += migration.app_label in {"accounts", "playbooks", "stakeholders", "forecasting"}

    applied = executor.recorder.applied_migrations()
    assert set(leaves) <= set(applied), "the walk did not reach the latest migrations"
    assert unfillable == {}, "no representative row could be written for these models (extend RowMaker)"
    assert problems == []
    assert project_steps >= 4 and rows_checked > 100  # the walk did run through our apps with data in place
    print(f"{len(plan)} migrations applied one by one; {rows_checked} rows checked across the steps")


# --- backup and restore (docs/operations.md) ---------------------------------------------------


def test_a_pg_dump_backup_restores_every_row(scratch, tmp_path):
    """The documented commands: pg_dump --format=custom, pg_restore --no-owner into an empty database."""
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore are not installed (apt-get install postgresql-client)")
    executor = MigrationExecutor(scratch)
    executor.migrate(executor.loader.graph.leaf_nodes())
    state = executor.loader.project_state()
    maker = RowMaker(ALIAS)
    for model in _data_models(state):
        if not model._base_manager.using(ALIAS).exists():
            maker.make(model)
    original = snapshot(state, ALIAS)
    settings_dict = scratch.settings_dict
    server = f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
    env = {**os.environ, "PGPASSWORD": settings_dict["PASSWORD"] or ""}
    dump = tmp_path / "revops.dump"
    restored = f"{settings_dict['NAME']}_restored"[:63]

    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), f"{server}/{settings_dict['NAME']}"],
                   check=True, env=env, capture_output=True)
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{restored}"')
        cursor.execute(f'CREATE DATABASE "{restored}"')
    connections.settings["restored"] = {**settings_dict, "NAME": restored}
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--jobs", "2", "--dbname", f"{server}/{restored}",
                        str(dump)], check=True, env=env, capture_output=True)
        copy = snapshot(state, "restored")
        applied = MigrationExecutor(connections["restored"]).loader.applied_migrations
    finally:
        connections["restored"].close()
        del connections["restored"]
        del connections.settings["restored"]
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}"')

    assert sum(len(rows) for rows in original.values()) > 50
    assert copy == original
    assert set(executor.loader.graph.leaf_nodes()) <= set(applied)  # the restored copy knows its schema version
