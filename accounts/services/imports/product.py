"""The product kinds: workspaces, product users (with their memberships) and monthly usage."""

from operator import itemgetter

from django.utils import timezone

from accounts.models import Company, ProductUser, UsageRecord, Workspace, WorkspaceMembership

from . import values as v
from . import writers
from .base import Column, ImportFileError, ImportKind
from .bulk import BulkLoad, BulkTable
from .common import ROLE_CHOICES, WORKSPACE_STATUSES, Cells, KeyResolver, _max_length, _money
from .staging import Staging, StagingTable

# --- workspaces ------------------------------------------------------------------------------

WORKSPACE_SCALARS = ("name", "plan", "seats", "mrr", "status", "created_at")
PLAN_LENGTH = Workspace._meta.get_field("plan").max_length
MRR = {
    "max_digits": Workspace._meta.get_field("mrr").max_digits,
    "decimal_places": Workspace._meta.get_field("mrr").decimal_places,
}


class WorkspaceImport(ImportKind):
    name = "workspaces"
    label = "Workspaces (product organisations)"
    columns = (
        Column("external_id", required=True, help="The product's id of the workspace."),
        Column("name", required=True),
        Column("plan"),
        Column("seats"),
        Column("mrr"),
        Column("status", help="active, trial, suspended or churned (empty: active)."),
        Column("created_at", help="When the workspace was created in the product."),
    )

    def parse(self, values, state):
        # Fast path for the common, valid row; a bad row is parsed again to list every problem.
        try:
            return (
                v.text(values["external_id"], column="external_id", max_length=64, required=True),
                v.text(values["name"], column="name", max_length=255, required=True),
                v.text(values["plan"], column="plan", max_length=PLAN_LENGTH),
                v.whole_number(values["seats"], column="seats", default=0),
                v.money(values["mrr"], column="mrr", default=v.Decimal(0), **MRR),
                v.choice(values["status"], column="status", choices=WORKSPACE_STATUSES, default="active"),
                v.moment(values["created_at"], column="created_at"),
            )
        except v.RowError:
            return self._parse_collecting(values)

    def _parse_collecting(self, values):
        cells = Cells(values)
        row = (
            cells(v.text, "external_id", max_length=64, required=True),
            cells(v.text, "name", max_length=255, required=True),
            cells(v.text, "plan", max_length=_max_length(Workspace, "plan")),
            cells(v.whole_number, "seats", default=0),
            cells(v.money, "mrr", default=v.Decimal(0), **_money(Workspace, "mrr")),
            cells(v.choice, "status", choices=WORKSPACE_STATUSES, default=Workspace.Status.ACTIVE),
            cells(v.moment, "created_at"),
        )
        cells.done()
        return row

    def staging_tables(self, staging: Staging, state):
        columns = tuple((name, staging.column_type(Workspace, name)) for name in ("external_id", *WORKSPACE_SCALARS))
        return [StagingTable("import_workspace", columns, index=("external_id",))]

    def stage(self, rows, state):
        return [("import_workspace", rows)]

    def write(self, *, staging: Staging, state, report):
        present = state["present"]
        table, stg = Workspace._meta.db_table, "import_workspace"
        touched = writers.create_touched(staging, "import_workspace_touched")
        update_columns = [name for name in WORKSPACE_SCALARS if name in present]
        writers.mark_changed_columns(
            staging,
            touched=touched,
            stg=stg,
            table=table,
            key="external_id",
            compare=[(name, name) for name in update_columns],
        )
        loaded = staging.count(stg)
        created = writers.count_new(staging, stg=stg, table=table, key="external_id")
        updated = writers.count_touched(staging, touched)
        now = timezone.now()
        writers.upsert(
            staging,
            stg=stg,
            table=table,
            key="external_id",
            columns=[(name, name) for name in WORKSPACE_SCALARS],
            update_columns=update_columns,
            touched=touched,
            insert_values={
                **writers.insert_defaults(staging, Workspace, exclude={"external_id", *WORKSPACE_SCALARS}),
                "imported_at": now,
                "updated_at": now,
            },
            update_values={"updated_at": now},
        )
        return created, updated, loaded - created - updated


# --- users -----------------------------------------------------------------------------------

USER_SCALARS = ("email", "name", "company_name", "title", "signed_up_at", "last_active_at")
# The cells of a record the fast path takes, in the order of _common_user's parameters.
USER_CELLS = (
    "external_id",
    "email",
    "name",
    "company_name",
    "title",
    "workspace_external_ids",
    "workspace_role",
    "signed_up_at",
    "last_active_at",
)
ROLES = {value for value, _ in WorkspaceMembership.Role.choices}
_ROLE_LOOKUP, _DEFAULT_ROLE = ROLE_CHOICES.lookup.get, WorkspaceMembership.Role.MEMBER.value
_is_common_email, _utc_moment = v.is_common_email, v.utc_moment


def _workspace_entries(value: str, default_role: str) -> tuple[tuple[str, str], ...]:
    """`W1;W2:admin` → (("W1", default_role), ("W2", "admin")). A workspace listed twice is one
    membership (in its first place, with the last role given)."""
    if not value:
        return ()
    if ":" not in value:  # no entry carries its own role: most files (cells come stripped)
        if ";" not in value:
            return ((value, default_role),)
        keys = dict.fromkeys(map(str.strip, value.split(";")))
        keys.pop("", None)
        return tuple([(key, default_role) for key in keys])
    entries: dict[str, str] = {}
    for entry in v.id_list(value):
        key, role = entry, default_role
        if ":" in entry:
            head, _, tail = entry.rpartition(":")
            if tail.strip().lower() in ROLES:
                key, role = head.strip(), tail.strip().lower()
        entries[key] = role
    return tuple(entries.items())


def _common_user(external_id, email, name, company_name, title, workspace_ids, role, signed_up_at, last_active_at):
    """The row of a common, valid record (stripped cells in USER_CELLS order), or None.

    This kind runs to millions of rows: plain text within its length, an everyday email address,
    ISO timestamps take this path. Anything else — a bad row, a formula-escaped cell, an unusual
    address, a role spelled differently — returns None and is parsed by `_parse_collecting`,
    which applies every rule and lists every problem.
    """
    role = _ROLE_LOOKUP(role) if role else _DEFAULT_ROLE
    email = email.lower()
    if (
        role is None
        or not 0 < len(external_id) <= 64
        or len(email) > 254
        or len(name) > 255
        or len(company_name) > 255
        or len(title) > 255
        or "'" in (external_id[:1], name[:1], company_name[:1], title[:1])
        or _is_common_email(email) is None
    ):
        return None
    try:
        signed_up_at = _utc_moment(signed_up_at)
        last_active_at = _utc_moment(last_active_at)
    except ValueError:
        return None
    return (
        external_id,
        email,
        name,
        company_name,
        title,
        signed_up_at,
        last_active_at,
        _workspace_entries(workspace_ids, role),
    )


class ProductUserImport(ImportKind):
    name = "users"
    label = "Product users"
    columns = (
        Column("external_id", required=True, help="The product's id of the user."),
        Column("email", required=True),
        Column("name"),
        Column("company_name", help="What the user typed at sign-up."),
        Column("title"),
        Column(
            "workspace_external_ids",
            help="';'-separated; an entry may carry its own role as ID:admin. The user's memberships "
            "become exactly this list (the product is the source of truth).",
        ),
        Column("workspace_role", help="admin or member (empty: member), for every listed workspace."),
        Column("signed_up_at"),
        Column("last_active_at"),
    )

    # A row: (external_id, email, name, company_name, title, signed_up_at, last_active_at,
    #         ((workspace external_id, role), …)); staged with its line in front.

    def parse(self, values, state):
        row = _common_user(*[values[name] for name in USER_CELLS])
        return row if row is not None else self._parse_collecting(values)

    def record_parser(self, projector, state):
        """The runner's per-record fast path: the cells straight into `_common_user`, no dict."""
        indexes = projector.indexes(USER_CELLS)
        if indexes is None:
            return None
        width, pick, strip, common = projector.width, itemgetter(*indexes), str.strip, _common_user

        def parse_record(record: list[str]):
            if len(record) != width:
                return None  # short or long records: the projection pads and trims them
            record.append("")  # what absent columns read (their index is `width`)
            return common(*map(strip, pick(record)))

        return parse_record

    def _parse_collecting(self, values):
        cells = Cells(values)
        default_role = cells(v.choice, "workspace_role", choices=ROLE_CHOICES, default="member")
        entries = _workspace_entries(values["workspace_external_ids"], default_role)
        row = (
            cells(v.text, "external_id", max_length=64, required=True),
            cells(v.email, "email", required=True),
            cells(v.text, "name", max_length=255),
            cells(v.text, "company_name", max_length=255),
            cells(v.text, "title", max_length=255),
            cells(v.moment, "signed_up_at"),
            cells(v.moment, "last_active_at"),
            entries,
        )
        cells.done()
        return row

    def staging_tables(self, staging: Staging, state):
        # No indexes: every join against these tables is a hash join over the whole file, or
        # (for a small file) a nested loop that probes the target tables' own indexes.
        state["staging"] = staging
        tables = [
            StagingTable(
                "import_product_user",
                tuple((name, staging.column_type(ProductUser, name)) for name in ("external_id", *USER_SCALARS)),
            )
        ]
        if "workspace_external_ids" in state["present"]:
            # One row per membership, the workspace as the file names it (text: an over-long id is
            # just unknown); `line` is the line of the user's row (an integer to join on).
            tables.append(
                StagingTable(
                    "import_membership",
                    (("workspace_key", "text"), ("role", staging.column_type(WorkspaceMembership, "role"))),
                    plain=True,  # (line, key, role): an int and two strings
                )
            )
        return tables

    def stage(self, rows, state):
        staged = [("import_product_user", [row[:8] for row in rows])]
        if "workspace_external_ids" in state["present"]:
            staged.append(("import_membership", [(row[0], key, role) for row in rows for key, role in row[8]]))
        return staged

    def finish(self, state, report):
        """Resolve the file's workspaces set-based, once: `import_workspace_key` maps each distinct
        workspace id of the file to the workspace's primary key (NULL: unknown), and the rows
        naming an unknown workspace are rejected (the runner then drops them from staging).

        Done in the database rather than per record: a million users name ~1.75 million
        memberships, and the lookups and row rebuilding cost more in Python than one hash join.
        """
        if "workspace_external_ids" not in state["present"]:
            return
        staging: Staging = state["staging"]
        qn = staging.qn
        keys = qn(staging.create("import_workspace_key", [("workspace_key", "text"), ("workspace_id", "bigint")]))
        staging.execute(
            f"INSERT INTO {keys} (workspace_key, workspace_id) SELECT k.workspace_key, w.id "
            f"FROM (SELECT DISTINCT workspace_key FROM {qn('import_membership')}) k "
            f"LEFT JOIN {qn(Workspace._meta.db_table)} w ON w.external_id = k.workspace_key AND k.workspace_key <> ''"
        )
        staging.analyze("import_workspace_key")
        unknown: dict[int, list[str]] = {}
        # In the file's order: the staging table's physical order is the order COPY appended.
        for line, key in staging.fetch(
            f"SELECT m.line, m.workspace_key FROM {qn('import_membership')} m "
            f"JOIN {keys} k ON k.workspace_key = m.workspace_key WHERE k.workspace_id IS NULL "
            f"ORDER BY m.line, m.{staging.row_order}"
        ):
            unknown.setdefault(line, []).append(key)
        for line, names in unknown.items():
            shown = ", ".join(repr(key) for key in names[:5])
            report.reject(line, f"workspace_external_ids: unknown workspace {shown} (import workspaces first)")

    def write(self, *, staging: Staging, state, report):
        """Write the staged users and their memberships; return (created, updated, unchanged).

        1. `import_product_user_existing` lists the file's users already in the database (line,
           id), `touched` when a column the file has differs or — with workspace_external_ids —
           a membership is added, re-roled or removed. Later joins are on the line, an integer.
        2. Nothing new and nothing touched (the daily re-import of an unchanged export): done,
           without writing a row.
        3. Update the touched users; insert the new ones, in file order.
        4. Memberships: remove, re-role and add those of the touched users; add the new users'.
        A big first load runs 3–4 as a BulkLoad (bulk.py): indexes and the memberships' foreign
        keys come off for the load and are rebuilt set-based before the commit; the new users'
        ids are reserved up front (offset + line), so their memberships are written without a
        join to find them.
        """
        present = state["present"]
        qn = staging.qn
        users_table, members_table = ProductUser._meta.db_table, WorkspaceMembership._meta.db_table
        users, members = qn(users_table), qn(members_table)
        stg = qn("import_product_user")
        memberships = _staged_memberships(staging)
        sync_memberships = "workspace_external_ids" in present
        update_columns = [name for name in USER_SCALARS if name in present]

        existing = staging.create(
            "import_product_user_existing", [("line", "integer"), ("id", "bigint"), ("touched", "boolean")]
        )
        known = qn(existing)
        differs = staging.any_distinct((f"t.{qn(name)}", f"s.{qn(name)}") for name in update_columns)
        staging.execute(
            f"INSERT INTO {known} (line, id, touched) SELECT s.line, t.id, {differs} "
            f"FROM {stg} s JOIN {users} t ON t.external_id = s.external_id"
        )
        staging.analyze(existing)
        found = staging.count(existing)
        if sync_memberships and found:
            staging.execute(f"UPDATE {known} SET touched = TRUE WHERE NOT touched AND line IN ({_changed_memberships(staging)})")
        loaded = staging.count("import_product_user")
        created = loaded - found
        updated = staging.scalar(f"SELECT COUNT(*) FROM {known} WHERE touched")
        if not created and not updated:
            return 0, 0, loaded

        now = writers.adapt(staging, timezone.now())
        tables = [BulkTable(users_table), BulkTable(members_table, filled_foreign_keys=("user_id", "workspace_id"))]
        with BulkLoad(staging, tables, new_rows=created) as bulk:
            if updated:
                sets = ", ".join([*(f"{qn(name)} = s.{qn(name)}" for name in update_columns), "updated_at = %s"])
                staging.execute(
                    f"UPDATE {users} SET {sets} FROM {known} e JOIN {stg} s ON s.line = e.line "
                    f"WHERE e.touched AND {users}.id = e.id",
                    [now],
                )
            offset = _reserve_ids(staging) if bulk.active and created else None
            if created:
                self._insert_new_users(
                    staging, update_columns=update_columns, now=now, offset=offset, skip_known=bool(found)
                )
            if sync_memberships and updated:
                self._sync_touched_memberships(staging, bulk=bulk.active)
            if sync_memberships and created:
                # The new users have no memberships yet: all of theirs are added.
                new_only = f"WHERE NOT EXISTS (SELECT 1 FROM {known} e WHERE e.line = m.line) " if found else ""
                if offset is not None:
                    # Bulk: the user's id is offset + line, and the memberships' own ids are
                    # numbered here too (a sequence call per row costs more than the count).
                    # Indexes and keys come back afterwards.
                    _insert_numbered(
                        staging,
                        members_table,
                        f"INSERT INTO {members} (id, user_id, workspace_id, role) "
                        f"SELECT %s + ROW_NUMBER() OVER (), %s + m.line, m.workspace_id, m.role "
                        f"FROM {memberships} m {new_only}",
                        [offset],
                    )
                else:
                    # Row by row, in the order of the unique (user, workspace) index.
                    staging.execute(
                        f"INSERT INTO {members} (user_id, workspace_id, role) "
                        f"SELECT u.id, m.workspace_id, m.role FROM {memberships} m JOIN {stg} s ON s.line = m.line "
                        f"JOIN {users} u ON u.external_id = s.external_id {new_only}ORDER BY u.id, m.workspace_id"
                        + _MEMBERSHIP_CONFLICT.format(members=members)
                    )
        if bulk.active:
            report.timings["bulk"] = bulk.seconds
        return created, updated, loaded - created - updated

    def _insert_new_users(self, staging: Staging, *, update_columns, now, offset: int | None, skip_known: bool) -> None:
        """Insert the file's users that do not exist yet, in file order (ids follow the file).

        Row by row (offset None): existence is checked again here, not taken from `existing`:
        another session may have inserted one of these users meanwhile, and ON CONFLICT then
        updates it. Bulk: the tables are locked, so the users `existing` did not find are new; a
        plain INSERT with the reserved ids (offset + line) needs neither the sort nor the check.
        (Should another session have added one between that lookup and the lock, re-adding the
        unique external_id constraint fails and the whole import rolls back.)
        """
        qn = staging.qn
        users = qn(ProductUser._meta.db_table)
        fixed = {
            **writers.insert_defaults(staging, ProductUser, exclude={"external_id", *USER_SCALARS}),
            "imported_at": now,
            "updated_at": now,
        }
        params = [writers.adapt(staging, value) for value in fixed.values()]
        names = [qn(name) for name in ("external_id", *USER_SCALARS, *fixed)]
        select = [*(f"s.{qn(name)}" for name in ("external_id", *USER_SCALARS)), *(["%s"] * len(fixed))]
        source = f"FROM {qn('import_product_user')} s"
        if offset is not None:
            known = qn("import_product_user_existing")
            where = f" WHERE NOT EXISTS (SELECT 1 FROM {known} e WHERE e.line = s.line)" if skip_known else ""
            staging.execute(
                f"INSERT INTO {users} (id, {', '.join(names)}) SELECT %s + s.line, {', '.join(select)} {source}{where}",
                [offset, *params],
            )
            return
        sets = ", ".join(f"{qn(name)} = excluded.{qn(name)}" for name in [*update_columns, "updated_at"])
        staging.execute(
            f"INSERT INTO {users} ({', '.join(names)}) SELECT {', '.join(select)} {source} "
            f"WHERE NOT EXISTS (SELECT 1 FROM {users} t WHERE t.external_id = s.external_id) "
            f"ORDER BY s.line ON CONFLICT (external_id) DO UPDATE SET {sets}",
            params,
        )

    def _sync_touched_memberships(self, staging: Staging, *, bulk: bool) -> None:
        """Make the touched users' memberships exactly the file's: remove, re-role, add."""
        qn = staging.qn
        members = qn(WorkspaceMembership._meta.db_table)
        known, staged = qn("import_product_user_existing"), _staged_memberships(staging)
        staging.execute(
            f"DELETE FROM {members} WHERE user_id IN (SELECT id FROM {known} WHERE touched) "
            f"AND NOT EXISTS (SELECT 1 FROM {staged} m JOIN {known} e ON e.line = m.line "
            f"WHERE e.id = {members}.user_id AND m.workspace_id = {members}.workspace_id)"
        )
        staging.execute(
            f"UPDATE {members} SET role = m.role FROM {known} e JOIN {staged} m ON m.line = e.line "
            f"WHERE e.touched AND {members}.user_id = e.id AND {members}.workspace_id = m.workspace_id "
            f"AND {members}.role <> m.role"
        )
        conflict = "" if bulk else _MEMBERSHIP_CONFLICT.format(members=members)
        staging.execute(
            f"INSERT INTO {members} (user_id, workspace_id, role) "
            f"SELECT e.id, m.workspace_id, m.role FROM {known} e JOIN {staged} m ON m.line = e.line "
            f"WHERE e.touched AND NOT EXISTS "
            f"(SELECT 1 FROM {members} wm WHERE wm.user_id = e.id AND wm.workspace_id = m.workspace_id) "
            f"ORDER BY e.id, m.workspace_id{conflict}"
        )


def _staged_memberships(staging: Staging) -> str:
    """SQL: the staged memberships with their workspace resolved — (line, workspace_id, role).
    After `finish` every remaining key is known, so the inner join keeps them all."""
    qn = staging.qn
    return (
        f"(SELECT sm.line, wk.workspace_id, sm.role FROM {qn('import_membership')} sm "
        f"JOIN {qn('import_workspace_key')} wk ON wk.workspace_key = sm.workspace_key)"
    )


def _id_sequence(staging: Staging, table: str) -> str | None:
    return staging.scalar("SELECT pg_get_serial_sequence(%s, 'id')", [staging.qn(table)])


def _reserve_ids(staging: Staging) -> int | None:
    """Bulk path only: reserve one user id per line of the file and return the offset, so a new
    user's id is offset + line (file order, as the row-by-row path gives). The users table is
    held ACCESS EXCLUSIVE, so no other session draws from its sequence meanwhile; the ids of
    existing users' lines are left unused, as a rolled-back insert would leave them."""
    sequence = _id_sequence(staging, ProductUser._meta.db_table)
    if sequence is None:
        return None
    last_line = staging.scalar(f"SELECT MAX(line) FROM {staging.qn('import_product_user')}")
    offset = staging.scalar("SELECT nextval(%s)", [sequence])
    staging.scalar("SELECT setval(%s, %s)", [sequence, offset + last_line])
    return offset


def _insert_numbered(staging: Staging, table: str, sql: str, params: list) -> None:
    """Bulk path only: run an INSERT whose first value is `%s + ROW_NUMBER() OVER ()` for the id,
    with the offset taken from the table's sequence, then move the sequence past the rows
    written (the table is held ACCESS EXCLUSIVE: nobody else draws from it meanwhile)."""
    sequence = _id_sequence(staging, table)
    offset = staging.scalar("SELECT nextval(%s)", [sequence])
    written = staging.execute(sql, [offset, *params])
    staging.scalar("SELECT setval(%s, %s)", [sequence, offset + max(written, 0)])


def _changed_memberships(staging: Staging) -> str:
    """SQL: the lines of known users with a membership added, re-roled or removed by the file."""
    qn = staging.qn
    members = qn(WorkspaceMembership._meta.db_table)
    known, staged = qn("import_product_user_existing"), _staged_memberships(staging)
    if staging.vendor == "postgresql":
        # One pass: the file's memberships against the database's, both keyed by the user's line.
        return (
            f"SELECT COALESCE(m.line, d.line) FROM {staged} m FULL JOIN "
            f"(SELECT e.line, wm.workspace_id, wm.role FROM {known} e JOIN {members} wm ON wm.user_id = e.id) d "
            f"ON d.line = m.line AND d.workspace_id = m.workspace_id "
            f"WHERE m.line IS NULL OR d.line IS NULL OR m.role <> d.role"
        )
    # SQLite before 3.39 has no FULL JOIN: the two halves.
    return (
        f"SELECT m.line FROM {staged} m JOIN {known} e ON e.line = m.line "
        f"LEFT JOIN {members} wm ON wm.user_id = e.id AND wm.workspace_id = m.workspace_id "
        f"WHERE wm.id IS NULL OR wm.role <> m.role "
        f"UNION SELECT e.line FROM {known} e JOIN {members} wm ON wm.user_id = e.id "
        f"WHERE NOT EXISTS (SELECT 1 FROM {staged} m WHERE m.line = e.line AND m.workspace_id = wm.workspace_id)"
    )


# Row-by-row path only: another session may have added the membership meanwhile.
_MEMBERSHIP_CONFLICT = (
    " ON CONFLICT (user_id, workspace_id) DO UPDATE SET role = excluded.role WHERE {members}.role <> excluded.role"
)


# --- usage -----------------------------------------------------------------------------------


class UsageImport(ImportKind):
    name = "usage"
    label = "Usage (monthly, per workspace or company)"
    key_column = None
    columns = (
        Column("workspace_external_id", help="Either this or company_external_id, not both."),
        Column("company_external_id"),
        Column("period", required=True, help="YYYY-MM, or a date (its month is used)."),
        Column("metric", required=True),
        Column("quantity"),
        Column("amount"),
    )

    def new_state(self, *, present):
        if "workspace_external_id" not in present and "company_external_id" not in present:
            raise ImportFileError("Missing required column: workspace_external_id or company_external_id.")
        return {
            "present": present,
            "workspaces": KeyResolver(Workspace.objects.all()),
            "companies": KeyResolver(Company.objects.all()),
        }

    def parse(self, values, state):
        cells = Cells(values)
        workspace = values["workspace_external_id"]
        company = values["company_external_id"]
        if bool(workspace) == bool(company):
            cells.errors.append("give exactly one of workspace_external_id and company_external_id")
        row = (
            workspace or None,
            company or None,
            cells(v.month, "period"),
            cells(v.text, "metric", max_length=_max_length(UsageRecord, "metric"), required=True),
            cells(v.money, "quantity", default=v.Decimal(0), **_money(UsageRecord, "quantity")),
            cells(v.money, "amount", default=v.Decimal(0), **_money(UsageRecord, "amount")),
        )
        cells.done()
        return row

    def key(self, row):
        return (row[0], row[1], row[2], row[3])

    def describe_key(self, key):
        target = f"workspace {key[0]!r}" if key[0] else f"company {key[1]!r}"
        return f"usage of {key[3]!r} for {target} in {key[2]:%Y-%m}"

    def check(self, batch, state, report):
        workspaces: KeyResolver = state["workspaces"]
        companies: KeyResolver = state["companies"]
        workspaces.resolve(row[1] for row in batch if row[1])
        companies.resolve(row[2] for row in batch if row[2])
        accepted = []
        for row in batch:
            line, workspace, company = row[0], row[1], row[2]
            if workspace:
                workspace_id = workspaces.get(workspace)
                if workspace_id is None:
                    report.reject(line, f"workspace_external_id: unknown workspace {workspace!r}")
                    continue
                accepted.append((line, workspace_id, None, *row[3:]))
            else:
                company_id = companies.get(company)
                if company_id is None:
                    report.reject(line, f"company_external_id: unknown company {company!r}")
                    continue
                accepted.append((line, None, company_id, *row[3:]))
        return accepted

    def staging_tables(self, staging: Staging, state):
        columns = (
            ("workspace_id", "bigint"),
            ("company_id", "bigint"),
            *((name, staging.column_type(UsageRecord, name)) for name in ("period", "metric", "quantity", "amount")),
        )
        return [StagingTable("import_usage", columns)]

    def stage(self, rows, state):
        return [("import_usage", rows)]

    def write(self, *, staging: Staging, state, report):
        present = state["present"]
        qn = staging.qn
        table, stg = UsageRecord._meta.db_table, "import_usage"
        loaded = staging.count(stg)
        values = [name for name in ("quantity", "amount") if name in present]
        created = updated = 0
        for target in ("workspace_id", "company_id"):
            same = f"u.{qn(target)} = s.{qn(target)} AND u.period = s.period AND u.metric = s.metric"
            differs = staging.any_distinct((f"u.{qn(name)}", f"s.{qn(name)}") for name in values)
            counts = (
                f"SELECT SUM(CASE WHEN u.id IS NULL THEN 1 ELSE 0 END), "
                f"SUM(CASE WHEN u.id IS NOT NULL AND {differs} THEN 1 ELSE 0 END) "
                f"FROM {qn(stg)} s LEFT JOIN {qn(table)} u ON {same} WHERE s.{qn(target)} IS NOT NULL"
            )
            with staging.connection.cursor() as cursor:
                cursor.execute(counts)
                new, changed = cursor.fetchone()
            created += new or 0
            updated += changed or 0
            sets = ", ".join(f"{qn(name)} = excluded.{qn(name)}" for name in values)
            conflict = (
                f"DO UPDATE SET {sets} WHERE "
                + staging.any_distinct((f"{qn(table)}.{qn(name)}", f"excluded.{qn(name)}") for name in values)
                if values
                else "DO NOTHING"
            )
            staging.execute(
                f"INSERT INTO {qn(table)} (workspace_id, company_id, period, metric, quantity, amount) "
                f"SELECT s.workspace_id, s.company_id, s.period, s.metric, s.quantity, s.amount FROM {qn(stg)} s "
                f"WHERE s.{qn(target)} IS NOT NULL "
                f"ON CONFLICT ({qn(target)}, period, metric) WHERE {qn(target)} IS NOT NULL {conflict}"
            )
        return created, updated, loaded - created - updated
