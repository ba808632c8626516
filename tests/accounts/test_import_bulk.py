"""The bulk path of a big users import (bulk.py): indexes and the memberships' foreign keys come
off for the load and are put back exactly, the data is the same as row by row, and the import
falls back to row by row when it cannot have the locks. Thresholds are lowered so a small file
takes the path a million-row file takes."""

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import ProductUser, Workspace, WorkspaceMembership
from accounts.services.imports import bulk, import_csv
from tests.accounts.test_import_helpers import write_csv
from tests.factories import ProductUserFactory, WorkspaceFactory, WorkspaceMembershipFactory

TABLES = (ProductUser._meta.db_table, WorkspaceMembership._meta.db_table)

USERS = (
    "external_id,email,name,workspace_external_ids,workspace_role,signed_up_at\n"
    "U-1,ada@acme.com,Ada,W-1;W-2:admin,member,2025-01-15 09:00:00\n"  # 2
    "U-2,not an email,Bob,W-1,,\n"  # 3: rejected
    "U-3,carla@globex.com,Carla,W-2,admin,2025-02-01T10:00:00+01:00\n"  # 4
    "U-1,dup@acme.com,Dup,W-1,,\n"  # 5: duplicate of line 2
    "U-4,dan@acme.com,Dan,,,\n"  # 6: no memberships
    "U-5,eve@acme.com,Eve,W-404,,\n"  # 7: unknown workspace
)


@pytest.fixture
def bulk_from_one_row(monkeypatch):
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)


@pytest.fixture
def workspaces(db):
    return {key: WorkspaceFactory(external_id=key) for key in ("W-1", "W-2")}


def schema() -> list[tuple]:
    """Every index and constraint of the loaded tables, as PostgreSQL would recreate them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1, 2",
            [list(TABLES)],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), condeferrable, condeferred, "
            "convalidated FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [list(TABLES)],
        )
        return indexes + cursor.fetchall()


def memberships() -> set[tuple[str, str, str]]:
    return set(WorkspaceMembership.objects.values_list("user__external_id", "workspace__external_id", "role"))


def other_connection() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"], port=db["PORT"] or None
    )


@pytest.mark.django_db(transaction=True)
def test_a_big_first_load_puts_every_index_and_key_back_exactly(require_postgres, bulk_from_one_row, workspaces, tmp_path):
    before = schema()

    report = import_csv(kind="users", source=write_csv(tmp_path, USERS))

    assert "bulk" in report.timings  # the path a million-row file takes
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert {issue.line: issue.message for issue in report.errors} == {
        3: "email 'not an email' is not a valid email address",
        5: "duplicate external_id 'U-1': already on line 2",
        7: "workspace_external_ids: unknown workspace 'W-404' (import workspaces first)",
    }
    assert memberships() == {("U-1", "W-1", "member"), ("U-1", "W-2", "admin"), ("U-3", "W-2", "admin")}
    assert ProductUser.objects.get(external_id="U-3").signed_up_at.isoformat() == "2025-02-01T09:00:00+00:00"
    assert schema() == before
    # …and they are enforced again: a membership of no user, a second U-1.
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkspaceMembership.objects.create(user_id=10**9, workspace=workspaces["W-1"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductUserFactory(external_id="U-1")


@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_next_to_existing_users_updates_only_what_changed(require_postgres, bulk_from_one_row, workspaces, tmp_path):
    kept = ProductUserFactory(external_id="U-1", email="ada@acme.com", name="Ada", company_name="", title="")
    WorkspaceMembershipFactory(user=kept, workspace=workspaces["W-1"], role="member")
    moved = ProductUserFactory(external_id="U-2", email="bob@acme.com", name="Bob", company_name="", title="")
    WorkspaceMembershipFactory(user=moved, workspace=workspaces["W-1"], role="member")
    text = (
        "external_id,email,name,workspace_external_ids,workspace_role\n"
        "U-1,ada@acme.com,Ada,W-1,member\n"  # unchanged
        "U-2,bob@acme.com,Bob,W-2,admin\n"  # moved from W-1 to W-2 as admin
        "U-3,carla@acme.com,Carla,W-1;W-2,member\n"
        "U-4,dan@acme.com,Dan,W-2,admin\n"
        "U-5,eve@acme.com,Eve,,\n"
    )

    report = import_csv(kind="users", source=write_csv(tmp_path, text))

    assert "bulk" in report.timings
    assert report.summary() == "3 created, 1 updated, 1 unchanged"
    assert memberships() == {
        ("U-1", "W-1", "member"),
        ("U-2", "W-2", "admin"),
        ("U-3", "W-1", "member"),
        ("U-3", "W-2", "member"),
        ("U-4", "W-2", "admin"),
    }
    assert ProductUser.objects.get(pk=kept.pk).updated_at == kept.updated_at
    assert ProductUser.objects.get(pk=moved.pk).updated_at > moved.updated_at


@pytest.mark.django_db(transaction=True)
def test_a_reimport_of_a_big_file_writes_nothing_and_takes_no_locks(require_postgres, bulk_from_one_row, workspaces, tmp_path):
    path = write_csv(tmp_path, USERS)
    import_csv(kind="users", source=path)
    rows = list(ProductUser.objects.order_by("pk").values())

    report = import_csv(kind="users", source=path)

    assert "bulk" not in report.timings
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert list(ProductUser.objects.order_by("pk").values()) == rows


@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_that_cannot_have_its_locks_soon_writes_row_by_row(
    require_postgres, bulk_from_one_row, workspaces, tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(bulk, "LOCK_TIMEOUT", "200ms")
    caplog.set_level("INFO", logger=bulk.__name__)
    before = schema()
    with other_connection() as reader:  # e.g. a long export, reading the users
        reader.execute("SELECT COUNT(*) FROM accounts_productuser").fetchone()

        report = import_csv(kind="users", source=write_csv(tmp_path, USERS))

        reader.rollback()
    assert "bulk" not in report.timings
    assert "canceling statement due to lock timeout" in caplog.text
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert memberships() == {("U-1", "W-1", "member"), ("U-1", "W-2", "admin"), ("U-3", "W-2", "admin")}
    assert schema() == before


@pytest.mark.django_db
def test_inside_a_transaction_with_unfired_checks_the_load_is_row_by_row(
    require_postgres, bulk_from_one_row, tmp_path, caplog
):
    caplog.set_level("INFO", logger=bulk.__name__)
    # The test's own transaction created the workspaces: their deferred foreign-key checks are
    # still queued, so PostgreSQL refuses to alter the tables that reference them.
    WorkspaceFactory(external_id="W-1")
    WorkspaceFactory(external_id="W-2")

    report = import_csv(kind="users", source=write_csv(tmp_path, USERS))

    assert "bulk" not in report.timings
    assert "pending trigger events" in caplog.text
    assert memberships() == {("U-1", "W-1", "member"), ("U-1", "W-2", "admin"), ("U-3", "W-2", "admin")}


@pytest.mark.django_db
def test_small_loads_are_written_row_by_row(workspaces, tmp_path):
    report = import_csv(kind="users", source=write_csv(tmp_path, USERS))

    assert "bulk" not in report.timings
    assert report.created == 3


@pytest.mark.django_db
def test_sqlite_has_no_bulk_path_and_loads_the_same(bulk_from_one_row, workspaces, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite half of the bulk tests")

    report = import_csv(kind="users", source=write_csv(tmp_path, USERS))

    assert "bulk" not in report.timings
    assert memberships() == {("U-1", "W-1", "member"), ("U-1", "W-2", "admin"), ("U-3", "W-2", "admin")}


def test_the_bulk_decision_weighs_new_rows_against_the_table(monkeypatch):
    load = bulk.BulkLoad.__new__(bulk.BulkLoad)
    load.staging = type("FakeStaging", (), {"vendor": "postgresql"})()
    load.tables = [bulk.BulkTable("accounts_productuser")]
    monkeypatch.setattr(bulk.BulkLoad, "_estimated_rows", lambda self, table: 1_000_000)
    for new_rows, expected in [(99_999, False), (300_000, False), (333_334, True), (2_000_000, True)]:
        load.new_rows = new_rows
        assert load.worthwhile() is expected, new_rows
    load.staging.vendor = "sqlite"
    assert load.worthwhile() is False


def test_workspace_lookups_span_batches(monkeypatch, tmp_path, db):
    """Rows staged in several batches: their workspaces are resolved together once read."""
    from accounts.services.imports import runner

    monkeypatch.setattr(runner, "CHECK_BATCH_ROWS", 2)
    for key in ("W-1", "W-2", "W-3"):
        WorkspaceFactory(external_id=key)
    text = "external_id,email,workspace_external_ids\n" + "".join(
        f"U-{i},u{i}@acme.com,{workspaces_of}\n"
        for i, workspaces_of in enumerate(["W-1", "W-2;W-3", "W-404", "W-3", "W-1;W-405", "", "W-2"])
    )

    report = import_csv(kind="users", source=write_csv(tmp_path, text))

    assert {issue.line: issue.message for issue in report.errors} == {
        4: "workspace_external_ids: unknown workspace 'W-404' (import workspaces first)",
        6: "workspace_external_ids: unknown workspace 'W-405' (import workspaces first)",
    }
    assert memberships() == {
        ("U-0", "W-1", "member"),
        ("U-1", "W-2", "member"),
        ("U-1", "W-3", "member"),
        ("U-3", "W-3", "member"),
        ("U-6", "W-2", "member"),
    }
    assert Workspace.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_bulk_ids_follow_the_file_and_the_sequences_move_past_them(
    require_postgres, bulk_from_one_row, workspaces, tmp_path
):
    report = import_csv(kind="users", source=write_csv(tmp_path, USERS))

    assert "bulk" in report.timings
    by_id = list(ProductUser.objects.order_by("pk").values_list("external_id", flat=True))
    assert by_id == ["U-1", "U-3", "U-4"]  # lines 2, 4 and 6: file order
    # Rows written afterwards draw ids past the reserved ones, for users and memberships alike.
    later = ProductUserFactory(external_id="U-9")
    assert later.pk > max(ProductUser.objects.exclude(pk=later.pk).values_list("pk", flat=True))
    membership = WorkspaceMembershipFactory(user=later, workspace=workspaces["W-1"])
    assert membership.pk > max(WorkspaceMembership.objects.exclude(pk=membership.pk).values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["row by row", "bulk"])
def test_memberships_of_unusual_workspace_ids_repeats_and_several_unknowns(path, monkeypatch, tmp_path):
    if path == "bulk":
        if connection.vendor != "postgresql":
            pytest.skip("the bulk path is PostgreSQL's")
        monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    for key in ("W\\1", "W\t2", "W-3"):
        WorkspaceFactory(external_id=key)
    text = (
        "external_id,email,workspace_external_ids,workspace_role\n"
        'U-1,a@acme.com,"W\\1;W\t2",member\n'  # a backslash, a tab: COPY's text format would need escapes
        "U-2,b@acme.com,W-3;W-3:admin,member\n"  # listed twice: one membership, with the last role
        "U-3,c@acme.com,W-9;W-3;W-8,member\n"  # the unknown ones named in the file's order
    )

    report = import_csv(kind="users", source=write_csv(tmp_path, text))

    assert {issue.line: issue.message for issue in report.errors} == {
        4: "workspace_external_ids: unknown workspace 'W-9', 'W-8' (import workspaces first)"
    }
    assert memberships() == {("U-1", "W\\1", "member"), ("U-1", "W\t2", "member"), ("U-2", "W-3", "admin")}
    assert report.summary() == "2 created, 0 updated, 0 unchanged, 1 rejected"
    assert ("bulk" in report.timings) == (path == "bulk")
