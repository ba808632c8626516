"""Realistic, deterministic demo data: the sales org, companies with hierarchies, self-serve
workspaces, product users and 24 months of usage.

``demo_seed`` is what ``manage.py seed_demo`` calls. Same seed, same day → same rows; a
re-run replaces only rows whose external id starts with ``DEMO-`` (plus the demo logins).
"""
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from time import monotonic

from django.db import transaction
from django.db.models import Count, Max, Min, Q

from accounts.models import Company, CompanyDomain, ProductUser, UsageRecord, Workspace, WorkspaceMembership
from revops import history
from revops.errors import ApplicationError

from .generate import demo_generate
from .specs import DEMO_PREFIX, PEOPLE, PROFILES, TEAMS, SizeProfile
from .write import analyze_tables, demo_write

DEMO_PASSWORD = "revops-demo"
MIN_COMPANIES = 20  # the showcase accounts alone take eleven

__all__ = ["DEMO_PASSWORD", "DEMO_PREFIX", "PEOPLE", "PROFILES", "TEAMS", "DemoSeedResult", "demo_seed",
           "demo_summary"]


@dataclass(frozen=True)
class DemoSeedResult:
    seed: int
    size: str
    counts: dict[str, int]


@transaction.atomic
def demo_seed(
    *,
    size: str = "small",
    seed: int = 42,
    companies: int | None = None,
    today: date | None = None,
    progress: Callable[[str, int, float, bool], None] | None = None,
) -> DemoSeedResult:
    """Generate the demo data set for ``seed`` and write it in one transaction.

    ``companies`` overrides the size's company count (tests use a few dozen); ``today`` anchors
    every date (the usage months end with today's month). ``progress(stage, rows, seconds, done)``
    is called when a stage finishes and every 100,000 rows of a long one.
    """
    if size not in PROFILES:
        raise ApplicationError(f"Unknown size {size!r}: choose one of {', '.join(PROFILES)}.")
    profile: SizeProfile = PROFILES[size]
    if companies is not None:
        if companies < MIN_COMPANIES:
            raise ApplicationError(f"At least {MIN_COMPANIES} companies are needed for the demo accounts.")
        profile = replace(profile, companies=companies)
    report = progress or (lambda stage, count, seconds, done: None)
    started = monotonic()
    data = demo_generate(seed=seed, profile=profile, today=today or date.today())
    report("generated", len(data.companies) + len(data.workspaces) + len(data.users), monotonic() - started, True)
    # Written like an import: recorded as a whole, not as a history row per record (the history demo,
    # revops.history_demo, then tells a story of changes by the demo people with history on).
    with history.recording(False):
        counts = demo_write(data=data, password=DEMO_PASSWORD, progress=report)
        for module in demo_extensions():
            counts.update(module.demo_seed(seed=seed, today=today or date.today(), progress=report) or {})
            analyze_tables()  # the next area's demo reads what this one wrote (a playbook's signal: contracts)
    return DemoSeedResult(seed=seed, size=size, counts=counts)


def demo_extensions() -> list:
    """The other areas' demo modules (settings.REVOPS_DEMO_EXTENSIONS), run after the accounts data.

    Each module has ``demo_seed(*, seed, today, progress) -> dict[str, int]`` (deterministic, idempotent:
    it replaces its own DEMO- rows) and ``demo_summary() -> list[(label, total, detail)]``.
    """
    from django.conf import settings
    from django.utils.module_loading import import_module

    return [import_module(path) for path in getattr(settings, "REVOPS_DEMO_EXTENSIONS", ())]


def demo_summary() -> list[tuple[str, int, str]]:
    """(table, demo rows, detail) for the end-of-run report; a handful of aggregate queries."""
    demo = Q(external_id__startswith=DEMO_PREFIX)
    in_demo_workspace = Q(workspace__external_id__startswith=DEMO_PREFIX)
    companies = Company.objects.filter(demo).aggregate(
        total=Count("id", distinct=True),
        roots=Count("id", filter=Q(parent__isnull=True, children__isnull=False), distinct=True),
        owned=Count("id", filter=Q(owner__isnull=False), distinct=True),
    )
    workspaces = Workspace.objects.filter(demo).aggregate(
        total=Count("id"), linked=Count("id", filter=Q(company__isnull=False)), paying=Count("id", filter=Q(mrr__gt=0))
    )
    users = ProductUser.objects.filter(demo).aggregate(
        total=Count("id"), linked=Count("id", filter=Q(company__isnull=False))
    )
    usage = UsageRecord.objects.filter(in_demo_workspace).aggregate(
        total=Count("id"), first=Min("period"), last=Max("period")
    )
    return [
        ("companies", companies["total"], f"{companies['owned']:,} owned, {companies['roots']:,} hierarchies"),
        ("domains", CompanyDomain.objects.filter(company__external_id__startswith=DEMO_PREFIX).count(), ""),
        ("workspaces", workspaces["total"],
         f"{workspaces['linked']:,} linked to a company, {workspaces['paying']:,} paying"),
        ("product users", users["total"], f"{users['linked']:,} linked to a company"),
        ("memberships", WorkspaceMembership.objects.filter(in_demo_workspace).count(), ""),
        ("usage records", usage["total"],
         f"{usage['first']:%b %Y} – {usage['last']:%b %Y}" if usage["total"] else ""),
    ] + [line for module in demo_extensions() for line in module.demo_summary()]
