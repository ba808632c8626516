"""Bulk writes of the demo specs: COPY through a staging table on PostgreSQL, bulk_create elsewhere.

Rows the seeder owns are recognised by their external id prefix (``DEMO-``). Companies,
workspaces and product users are upserted by external id, so their primary keys — and
anything other areas attached to them — survive a re-run; the leaf rows (domains,
memberships, usage) of demo records are deleted and written again.
"""
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from time import monotonic

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, models
from django.utils import timezone

from accounts.models import (
    Company,
    CompanyDomain,
    MatchFields,
    ProductUser,
    Profile,
    Team,
    UsageRecord,
    Workspace,
    WorkspaceMembership,
)
from revops import roles
from revops.errors import ApplicationError

from .specs import COMPANY_PREFIX, PEOPLE, TEAMS, USER_PREFIX, WORKSPACE_PREFIX, DemoData

BATCH = 2000
LINK_REASON = "Linked to this account in the CRM (demo data)."
Progress = Callable[[str, int, float, bool], None]
TICK = 100_000


def _chunks(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


class BulkWriter:
    """Writes rows given as tuples of attribute names (``company_id``, not ``company``)."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def upsert(self, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple], *, key: str,
               fresh: bool = False) -> int:
        """Insert or update by ``key``; ``fresh`` (no row can conflict) takes the plain, faster insert."""
        if fresh:
            if self.postgres:
                autos = self._auto_fields(model, fields, False)
                now = (timezone.now(),) * len(autos)
                return self._copy(model._meta.db_table, [self._column(model, f) for f in (*fields, *autos)],
                                  (row + now for row in rows))
            return self.insert(model, fields, rows)
        if self.postgres:
            return self._pg_write(model, fields, rows, conflict=f"({self._column(model, key)})", key=key)
        update = [model._meta.get_field(f).name for f in fields if f != key] + self._auto_fields(model, fields, True)
        written = 0
        for chunk in _chunks(rows, BATCH):
            model.objects.bulk_create(
                [model(**dict(zip(fields, row))) for row in chunk],
                update_conflicts=True, unique_fields=[key], update_fields=update,
            )
            written += len(chunk)
        return written

    def insert(self, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple], *,
               ignore_conflicts: bool = False) -> int:
        if self.postgres:
            if ignore_conflicts:
                return self._pg_write(model, fields, rows, conflict="")
            return self._copy(model._meta.db_table, [self._column(model, f) for f in fields], rows)
        written = 0
        for chunk in _chunks(rows, BATCH):
            model.objects.bulk_create([model(**dict(zip(fields, row))) for row in chunk],
                                      ignore_conflicts=ignore_conflicts)
            written += len(chunk)
        return written

    # --- PostgreSQL -----------------------------------------------------------------------------

    @staticmethod
    def _column(model, name: str) -> str:
        return model._meta.get_field(name).column

    @staticmethod
    def _auto_fields(model, fields: Sequence[str], only_auto_now: bool) -> list[str]:
        given = {model._meta.get_field(f).name for f in fields}
        return [
            f.name for f in model._meta.concrete_fields
            if f.name not in given and (getattr(f, "auto_now", False) or (
                not only_auto_now and getattr(f, "auto_now_add", False)))
        ]

    def _copy(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        quote = connection.ops.quote_name
        written = 0
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
        return written

    def _pg_write(self, model, fields: Sequence[str], rows: Iterable[tuple], *, conflict: str,
                  key: str | None = None) -> int:
        """COPY into a temporary table, then one INSERT … ON CONFLICT into the real one."""
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = [quote(self._column(model, f)) for f in fields]
        autos = [quote(self._column(model, f)) for f in self._auto_fields(model, fields, False)]
        missing = {f.column for f in model._meta.concrete_fields if not f.primary_key and not f.has_db_default()} - {
            c.strip('"') for c in columns + autos}
        if missing:
            raise ValueError(f"{model.__name__}: no value for {sorted(missing)}")
        cols = ", ".join(columns)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS demo_stage")
            cursor.execute(f"CREATE TEMPORARY TABLE demo_stage AS SELECT {cols} FROM {table} WITH NO DATA")
        written = self._copy("demo_stage", [c.strip('"') for c in columns], rows)
        now = ", now()" * len(autos)
        sql = f"INSERT INTO {table} ({', '.join(columns + autos)}) SELECT {cols}{now} FROM demo_stage"
        if key is None:
            sql += " ON CONFLICT DO NOTHING"
        else:
            changing = [c for c, f in zip(columns, fields) if f != key]
            auto_now = [quote(self._column(model, f)) for f in self._auto_fields(model, fields, True)]
            sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in changing + auto_now)
            # Rows that did not change keep their updated_at: a re-run with the same seed is a no-op there.
            sql += (f" ON CONFLICT {conflict} DO UPDATE SET {sets} WHERE "
                    f"({', '.join(f'{table}.{c}' for c in changing)}) IS DISTINCT FROM "
                    f"({', '.join(f'EXCLUDED.{c}' for c in changing)})")
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.execute("DROP TABLE demo_stage")
        return written

    def check_constraints(self) -> None:
        """Run the deferred foreign-key checks now rather than silently at COMMIT (a minute on the large size)."""
        if self.postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def analyze(self, *models_: type[models.Model]) -> None:
        analyze_tables(*models_)


def analyze_tables(*models_: type[models.Model]) -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL; a no-op elsewhere), of these models' tables
    or, without any, of the whole database (a sample of each table: seconds). The next statements and the
    pages query the tables right away, before any autovacuum could; without statistics PostgreSQL plans
    freshly filled tables as empty — the demo's last-contact refresh of 572,000 stakeholders walked every
    interaction for each one (over 15 minutes instead of one)."""
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models_)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}".rstrip())


def people_upsert(*, password: str) -> dict[str, int]:
    """The sales org: admin, two managers with their teams, nine reps; every password reset to ``password``."""
    groups = {g.name: g for g in Group.objects.filter(name__in=roles.ALL_ROLES)}
    if len(groups) != len(roles.ALL_ROLES):
        raise ApplicationError("The role groups are missing: run `manage.py migrate` first.")
    User = get_user_model()
    # One hash for all: hashing is deliberately slow, and the demo password is public anyway.
    password_hash = make_password(password)
    existing = {u.username: u for u in User.objects.filter(username__in=[p.username for p in PEOPLE])}
    users = {}
    for person in PEOPLE:
        user = existing.get(person.username) or User(username=person.username)
        user.first_name, user.last_name = person.first_name, person.last_name
        user.email = f"{person.username}@revops-demo.example"
        user.is_active = True
        user.is_staff = person.role == roles.REVOPS_ADMIN
        user.is_superuser = person.role == roles.REVOPS_ADMIN
        user.password = password_hash
        user.save()
        user.groups.set([groups[person.role]])
        users[person.username] = user
    teams = {
        spec.name: Team.objects.update_or_create(name=spec.name, defaults={"manager": users[spec.manager]})[0]
        for spec in TEAMS
    }
    for person in PEOPLE:
        Profile.objects.update_or_create(
            user=users[person.username],
            defaults={"team": teams.get(person.team), "time_zone": person.time_zone},
        )
    return {username: user.pk for username, user in users.items()}


def _ids(model, prefix: str) -> dict[str, int]:
    return dict(model.objects.filter(external_id__startswith=prefix).values_list("external_id", "id"))


def _remove_stale(model, prefix: str, keep: set[str]) -> int:
    """Demo rows a previous run (other seed or size) made and this one does not."""
    stale = [e for e in model.objects.filter(external_id__startswith=prefix).values_list("external_id", flat=True)
             if e not in keep]
    for chunk in _chunks(stale, 5000):
        model.objects.filter(external_id__in=chunk).delete()
    return len(stale)


def _match(linked: bool, matched_at) -> tuple:
    if not linked:
        return (MatchFields.Method.NONE, None, MatchFields.Status.UNRESOLVED, "", None, None, None)
    return (MatchFields.Method.MANUAL, 1.0, MatchFields.Status.CONFIRMED, LINK_REASON, matched_at, None, None)


MATCH_FIELDS = (
    "match_method",
    "match_confidence",
    "match_status",
    "match_reason",
    "matched_at",
    "matched_by_id",
    "suggested_company_id",
)


def demo_write(*, data: DemoData, password: str, progress: Progress) -> dict[str, int]:
    """Replace the demo rows with ``data``; returns the number of rows written per table.

    1. People: users, groups, teams, profiles.
    2. Clear the leaf rows of demo records; drop demo records this data set no longer has.
    3. Upsert companies one hierarchy level at a time (parents first), then their domains.
    4. Upsert workspaces and product users, then insert memberships and usage.
    """
    writer = BulkWriter()
    counts: dict[str, int] = {}

    def stage(name: str, work: Callable[[], int]) -> None:
        started = monotonic()
        counts[name] = work()
        progress(name, counts[name], monotonic() - started, True)

    def ticking(name: str, rows: Iterable[tuple]) -> Iterator[tuple]:
        started = monotonic()
        for n, row in enumerate(rows, 1):
            if n % TICK == 0:
                progress(name, n, monotonic() - started, False)
            yield row

    user_ids: dict[str, int] = {}

    def people() -> int:
        user_ids.update(people_upsert(password=password))
        return len(user_ids)

    stage("people", people)

    def clear() -> int:
        demo_ws = Workspace.objects.filter(external_id__startswith=WORKSPACE_PREFIX).values("id")
        demo_users = ProductUser.objects.filter(external_id__startswith=USER_PREFIX).values("id")
        removed = UsageRecord.objects.filter(workspace__in=demo_ws).delete()[0]
        removed += WorkspaceMembership.objects.filter(workspace__in=demo_ws).delete()[0]
        removed += WorkspaceMembership.objects.filter(user__in=demo_users).delete()[0]
        removed += CompanyDomain.objects.filter(company__external_id__startswith=COMPANY_PREFIX).delete()[0]
        removed += _remove_stale(ProductUser, USER_PREFIX, {u.external_id for u in data.users})
        removed += _remove_stale(Workspace, WORKSPACE_PREFIX, {w.external_id for w in data.workspaces})
        removed += _remove_stale(Company, COMPANY_PREFIX, {c.external_id for c in data.companies})
        return removed

    stage("cleared", clear)

    company_ids: dict[str, int] = {}
    # After the clean-up, a model without demo rows is a first run: nothing to update, plain inserts.
    fresh = {
        model: not model.objects.filter(external_id__startswith=prefix).exists()
        for model, prefix in ((Company, COMPANY_PREFIX), (Workspace, WORKSPACE_PREFIX), (ProductUser, USER_PREFIX))
    }

    def companies() -> int:
        written = 0
        for level in range(max(c.level for c in data.companies) + 1):
            rows = (
                (c.external_id, c.name, company_ids.get(c.parent), c.industry, c.employee_count, c.annual_revenue,
                 c.potential_arr, user_ids.get(c.owner), c.tier, c.country)
                for c in data.companies if c.level == level
            )
            written += writer.upsert(Company, ("external_id", "name", "parent_id", "industry", "employee_count",
                                               "annual_revenue", "potential_arr", "owner_id", "tier", "country"),
                                     rows, key="external_id", fresh=fresh[Company])
            company_ids.update(_ids(Company, COMPANY_PREFIX))
        return written

    stage("companies", companies)
    stage("domains", lambda: writer.insert(
        CompanyDomain, ("company_id", "domain"),
        ((company_ids[ext], domain) for ext, domain in data.domains()), ignore_conflicts=True))

    stage("workspaces", lambda: writer.upsert(
        Workspace,
        ("external_id", "name", "plan", "seats", "mrr", "status", "created_at", "company_id", *MATCH_FIELDS),
        ((w.external_id, w.name, w.plan, w.seats, w.mrr, w.status, w.created_at, company_ids.get(w.company),
          *_match(w.company is not None, w.matched_at)) for w in data.workspaces),
        key="external_id", fresh=fresh[Workspace]))
    stage("product users", lambda: writer.upsert(
        ProductUser,
        ("external_id", "email", "name", "company_name", "title", "signed_up_at", "last_active_at", "company_id",
         *MATCH_FIELDS),
        ((u.external_id, u.email, u.name, u.company_name, u.title, u.signed_up_at, u.last_active_at,
          company_ids.get(u.company), *_match(u.company is not None, u.matched_at)) for u in data.users),
        key="external_id", fresh=fresh[ProductUser]))

    workspace_ids = _ids(Workspace, WORKSPACE_PREFIX)
    product_user_ids = _ids(ProductUser, USER_PREFIX)
    stage("memberships", lambda: writer.insert(
        WorkspaceMembership, ("user_id", "workspace_id", "role"),
        ticking("memberships", ((product_user_ids[u], workspace_ids[w], role) for u, w, role in data.memberships))))
    stage("usage records", lambda: writer.insert(
        UsageRecord, ("workspace_id", "company_id", "period", "metric", "quantity", "amount"),
        ticking("usage records", ((workspace_ids[ext], None, period, metric, quantity, amount)
                                  for ext, period, metric, quantity, amount in data.usage()))))
    written = sum(n for name, n in counts.items() if name not in {"people", "cleared"})
    if writer.postgres:
        stage("key checks", lambda: writer.check_constraints() or written)
        stage("analyze", lambda: writer.analyze(
            Company, CompanyDomain, Workspace, ProductUser, WorkspaceMembership, UsageRecord) or written)
    return counts
