"""The product kinds: workspaces, product users (with their memberships) and monthly usage."""

from django.utils import timezone

from accounts.models import Company, ProductUser, UsageRecord, Workspace, WorkspaceMembership

from . import values as v
from . import writers
from .base import Column, ImportFileError, ImportKind
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
ROLES = {value for value, _ in WorkspaceMembership.Role.choices}


def _workspace_entries(value: str, default_role: str) -> tuple[tuple[str, str], ...]:
    """`W1;W2:admin` → (("W1", default_role), ("W2", "admin"))."""
    if not value:
        return ()
    entries = []
    for entry in v.id_list(value):
        key, role = entry, default_role
        if ":" in entry:
            head, _, tail = entry.rpartition(":")
            if tail.strip().lower() in ROLES:
                key, role = head.strip(), tail.strip().lower()
        entries.append((key, role))
    return tuple(entries)


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

    def new_state(self, *, present):
        return {"present": present, "workspaces": KeyResolver(Workspace.objects.all())}

    def parse(self, values, state):
        # Fast path for the common, valid row (this kind runs to millions of rows); a bad row is
        # parsed again by _parse_collecting to list every problem.
        try:
            role = v.choice(values["workspace_role"], column="workspace_role", choices=ROLE_CHOICES, default="member")
            return (
                v.text(values["external_id"], column="external_id", max_length=64, required=True),
                v.email(values["email"], column="email", required=True),
                v.text(values["name"], column="name", max_length=255),
                v.text(values["company_name"], column="company_name", max_length=255),
                v.text(values["title"], column="title", max_length=255),
                v.moment(values["signed_up_at"], column="signed_up_at"),
                v.moment(values["last_active_at"], column="last_active_at"),
                _workspace_entries(values["workspace_external_ids"], role),
            )
        except v.RowError:
            return self._parse_collecting(values)

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

    def check(self, batch, state, report):
        workspaces: KeyResolver = state["workspaces"]
        workspaces.resolve(key for row in batch for key, _ in row[8])
        accepted = []
        for row in batch:
            memberships = {}
            unknown = []
            for key, role in row[8]:
                workspace_id = workspaces.get(key)
                if workspace_id is None:
                    unknown.append(key)
                else:
                    memberships[workspace_id] = role
            if unknown:
                shown = ", ".join(repr(key) for key in unknown[:5])
                report.reject(row[0], f"workspace_external_ids: unknown workspace {shown} (import workspaces first)")
                continue
            accepted.append((*row[:8], tuple(memberships.items())))
        return accepted

    def staging_tables(self, staging: Staging, state):
        tables = [
            StagingTable(
                "import_product_user",
                tuple((name, staging.column_type(ProductUser, name)) for name in ("external_id", *USER_SCALARS)),
                index=("external_id",),
            )
        ]
        if "workspace_external_ids" in state["present"]:
            tables.append(
                StagingTable(
                    "import_membership",
                    (
                        ("user_key", staging.column_type(ProductUser, "external_id")),
                        ("workspace_id", "bigint"),
                        ("role", staging.column_type(WorkspaceMembership, "role")),
                    ),
                    index=("user_key", "workspace_id"),
                )
            )
        return tables

    def stage(self, rows, state):
        staged = [("import_product_user", [row[:8] for row in rows])]
        if "workspace_external_ids" in state["present"]:
            staged.append(
                (
                    "import_membership",
                    [(row[0], row[1], workspace_id, role) for row in rows for workspace_id, role in row[8]],
                )
            )
        return staged

    def write(self, *, staging: Staging, state, report):
        present = state["present"]
        qn = staging.qn
        table, membership = ProductUser._meta.db_table, WorkspaceMembership._meta.db_table
        stg, stg_members = "import_product_user", "import_membership"
        touched = writers.create_touched(staging, "import_product_user_touched")
        update_columns = [name for name in USER_SCALARS if name in present]
        writers.mark_changed_columns(
            staging, touched=touched, stg=stg, table=table, key="external_id", compare=[(c, c) for c in update_columns]
        )
        sync_memberships = "workspace_external_ids" in present
        if sync_memberships:
            # Existing users whose memberships will change: one added, re-roled or removed.
            writers.mark_touched(
                staging,
                touched=touched,
                select_keys_sql=(
                    f"SELECT m.user_key AS k FROM {qn(stg_members)} m JOIN {qn(table)} u ON u.external_id = m.user_key "
                    f"LEFT JOIN {qn(membership)} wm ON wm.user_id = u.id AND wm.workspace_id = m.workspace_id "
                    f"WHERE wm.id IS NULL OR wm.role <> m.role"
                ),
            )
            writers.mark_touched(
                staging,
                touched=touched,
                select_keys_sql=(
                    f"SELECT u.external_id AS k FROM {qn(membership)} wm JOIN {qn(table)} u ON u.id = wm.user_id "
                    f"JOIN {qn(stg)} s ON s.external_id = u.external_id WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {qn(stg_members)} m WHERE m.user_key = u.external_id "
                    f"AND m.workspace_id = wm.workspace_id)"
                ),
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
            columns=[(name, name) for name in USER_SCALARS],
            update_columns=update_columns,
            touched=touched,
            insert_values={
                **writers.insert_defaults(staging, ProductUser, exclude={"external_id", *USER_SCALARS}),
                "imported_at": now,
                "updated_at": now,
            },
            update_values={"updated_at": now},
        )
        if sync_memberships:
            staging.execute(
                f"DELETE FROM {qn(membership)} WHERE user_id IN (SELECT u.id FROM {qn(table)} u "
                f"JOIN {qn(touched)} x ON x.k = u.external_id) AND NOT EXISTS (SELECT 1 FROM {qn(stg_members)} m "
                f"JOIN {qn(table)} u2 ON u2.external_id = m.user_key WHERE u2.id = {qn(membership)}.user_id "
                f"AND m.workspace_id = {qn(membership)}.workspace_id)"
            )
            staging.execute(
                f"INSERT INTO {qn(membership)} (user_id, workspace_id, role) "
                f"SELECT u.id, m.workspace_id, m.role FROM {qn(stg_members)} m "
                f"JOIN {qn(table)} u ON u.external_id = m.user_key "
                f"WHERE m.user_key IN (SELECT k FROM {qn(touched)}) "
                f"OR NOT EXISTS (SELECT 1 FROM {qn(membership)} wm WHERE wm.user_id = u.id) "
                # In index order: a million memberships then fill the unique index page by page.
                f"ORDER BY u.id, m.workspace_id "
                f"ON CONFLICT (user_id, workspace_id) DO UPDATE SET role = excluded.role "
                f"WHERE {qn(membership)}.role <> excluded.role"
            )
        return created, updated, loaded - created - updated


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
