"""manage.py seed_demo: structure, logins, determinism, re-run safety and the production guard."""
import io
import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from statistics import median

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import (
    Company,
    CompanyDomain,
    ProductUser,
    Team,
    UsageRecord,
    Workspace,
    WorkspaceMembership,
)
from accounts.services.demo.specs import months_back
from tests.factories import CompanyDomainFactory, CompanyFactory, ProductUserFactory, UsageRecordFactory

ROOT = Path(__file__).resolve().parents[2]
DEMO = Q(external_id__startswith="DEMO-")
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug_on(settings):
    settings.DEBUG = True  # the test settings run with DEBUG off, which the command refuses


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Every demo value that matters, keyed by external ids (not primary keys)."""
    User = get_user_model()
    return {
        "companies": sorted(Company.objects.filter(DEMO).values_list(
            "external_id", "name", "parent__external_id", "industry", "employee_count", "annual_revenue",
            "potential_arr", "owner__username", "tier", "country")),
        "domains": sorted(CompanyDomain.objects.filter(company__external_id__startswith="DEMO-").values_list(
            "domain", "company__external_id")),
        "workspaces": sorted(Workspace.objects.filter(DEMO).values_list(
            "external_id", "name", "plan", "seats", "mrr", "status", "created_at", "company__external_id",
            "match_method", "match_status", "match_confidence", "matched_at")),
        "users": sorted(ProductUser.objects.filter(DEMO).values_list(
            "external_id", "email", "name", "company_name", "title", "signed_up_at", "last_active_at",
            "company__external_id", "match_status")),
        "memberships": sorted(WorkspaceMembership.objects.values_list(
            "user__external_id", "workspace__external_id", "role")),
        "usage": sorted(UsageRecord.objects.values_list(
            "workspace__external_id", "period", "metric", "quantity", "amount")),
        "people": sorted(User.objects.values_list(
            "username", "is_staff", "is_superuser", "groups__name", "profile__team__name", "profile__time_zone")),
        "teams": sorted(Team.objects.values_list("name", "manager__username")),
    }


def test_small_seed_builds_hierarchies_domains_and_consolidation_signals():
    output = seed("--size", "small")

    assert Company.objects.filter(DEMO).count() == 300
    # Ultimate parent → subsidiary → division (→ unit): at least three levels.
    deep = Company.objects.filter(DEMO, parent__parent__isnull=False)
    assert deep.exists()
    online = Company.objects.get(name="Acme UK Retail Online Ltd")
    assert [online.parent.name, online.parent.parent.name, online.parent.parent.parent.name] == [
        "Acme UK Retail Ltd", "Acme UK Ltd", "Acme Holdings Inc."]
    assert Company.objects.filter(DEMO, parent__isnull=True, children__isnull=False).distinct().count() >= 5
    # Several domains for some companies, including country domains of a family.
    multi = Company.objects.filter(DEMO).annotate(n=Count("domains")).filter(n__gte=2)
    assert multi.count() >= 10
    assert set(CompanyDomain.objects.filter(company__name__startswith="Acme ").values_list("domain", flat=True)) >= {
        "acme.com", "acme.co.uk", "acme.de"}
    # Hard cases for matching: look-alike names that are different companies.
    assert Company.objects.filter(name__in=["Acme Holdings Inc.", "Acme Labs Inc.", "Bank of the West",
                                            "Bank of the East"], parent__isnull=True).count() == 4
    # Consolidation signal: companies with several workspaces, and workspaces still to resolve.
    several = Company.objects.filter(DEMO).annotate(n=Count("workspaces")).filter(n__gte=3)
    assert several.exists()
    workspaces = Workspace.objects.filter(DEMO)
    linked = workspaces.filter(company__isnull=False)
    assert 0.3 < linked.count() / workspaces.count() < 0.7
    assert set(linked.values_list("match_status", flat=True)) == {"confirmed"}
    assert set(workspaces.filter(company__isnull=True).values_list("match_status", flat=True)) == {""}
    assert set(workspaces.values_list("status", flat=True)) == {"active", "trial", "churned", "suspended"}
    assert set(workspaces.values_list("plan", flat=True)) == {"free", "team", "business", "enterprise"}
    # Money follows plan and status.
    assert not workspaces.filter(Q(plan="free") | Q(status__in=["trial", "churned"]), mrr__gt=0).exists()
    assert not workspaces.filter(status="active").exclude(plan="free").filter(mrr=0).exists()
    assert not workspaces.exclude(memberships__role="admin").exists()  # every workspace has an admin

    users = ProductUser.objects.filter(DEMO)
    free_mail = users.filter(Q(*[Q(email__endswith=f"@{d}") for d in FREE_MAIL], _connector=Q.OR))
    assert 0.10 < free_mail.count() / users.count() < 0.25
    typed = set(free_mail.exclude(company_name="").values_list("company_name", flat=True))
    official = set(Company.objects.values_list("name", flat=True))
    assert len(typed - official) >= 20  # typos, case and suffix variants, not the CRM's spelling
    assert free_mail.filter(company__isnull=False).count() == 0
    domains = CompanyDomain.objects.values_list("domain", flat=True)
    on_subdomain = users.filter(Q(*[Q(email__endswith=f".{d}") for d in domains], _connector=Q.OR))
    assert on_subdomain.exists()  # e.g. eu.acme.co.uk
    assert users.filter(company__isnull=False).exists() and users.filter(company__isnull=True).exists()
    # Pure self-serve: people on domains no CRM company owns (neither free mail).
    known = set(domains) | set(FREE_MAIL)
    email_domains = {e.split("@")[1] for e in users.values_list("email", flat=True)}
    unknown = {d for d in email_domains if not any(
        ".".join(d.split(".")[i:]) in known for i in range(d.count(".")))}  # the domain or a parent of it
    assert len(unknown) >= 20
    assert users.annotate(n=Count("memberships")).filter(n__gte=2).exists()  # colleagues across workspaces
    inactive = users.filter(last_active_at__lt=timezone.now() - timedelta(days=90))
    assert 0.1 < inactive.count() / users.count() < 0.5

    today = date.today()

    # 24 months of usage, first of each month, ending with the current month.
    months = months_back(today, 24)
    full = (UsageRecord.objects.filter(metric="compute_credits").values("workspace")
            .annotate(n=Count("period", distinct=True)).filter(n=24))
    assert full.count() >= 30
    assert set(UsageRecord.objects.values_list("period", flat=True)) == set(months)

    assert "Demo data ready" in output and "admin" in output and "revops-demo" in output


def test_seeded_people_have_roles_teams_and_profiles():
    seed("--companies", "30")
    User = get_user_model()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert list(admin.groups.values_list("name", flat=True)) == ["RevOps admin"]
    maria = User.objects.get(username="maria")
    team = Team.objects.get(manager=maria)
    assert maria.groups.filter(name="Manager").exists() and maria.profile.team == team
    reps = User.objects.filter(profile__team=team, groups__name="Rep")
    assert "ravi" in set(reps.values_list("username", flat=True)) and 4 <= reps.count() <= 5
    other = Team.objects.exclude(pk=team.pk).get(name="Mid-market West")
    assert other.manager.groups.filter(name="Manager").exists()
    assert 4 <= User.objects.filter(profile__team=other, groups__name="Rep").count() <= 5
    assert User.objects.get(username="ravi").profile.time_zone == "America/Chicago"
    # Reps own most companies; enterprise accounts belong to the enterprise team.
    owned = Company.objects.filter(DEMO, owner__isnull=False)
    assert owned.count() / Company.objects.filter(DEMO).count() > 0.75
    assert not owned.filter(parent__isnull=True, tier="enterprise").exclude(owner__profile__team=team).exists()


@pytest.mark.parametrize("username", ["admin", "maria", "ravi"])
def test_demo_logins_work_through_the_login_form(client, username):
    seed("--companies", "20")
    response = client.post("/login/", {"username": username, "password": "revops-demo"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(get_user_model().objects.get(username=username).pk)


def test_admin_reaches_the_admin_site_after_logging_in(client):
    seed("--companies", "20")
    assert client.post("/login/", {"username": "admin", "password": "wrong"}).status_code == 200
    client.post("/login/", {"username": "admin", "password": "revops-demo"})
    assert client.get("/admin/").status_code == 200


def test_rerun_with_the_same_seed_leaves_identical_data():
    seed("--companies", "40")
    first = snapshot()
    company_pks = dict(Company.objects.filter(DEMO).values_list("external_id", "pk"))
    seed("--companies", "40")
    assert snapshot() == first
    # Upserts keep primary keys, so bookmarks and rows of other areas survive a re-run.
    assert dict(Company.objects.filter(DEMO).values_list("external_id", "pk")) == company_pks
    assert len(first["usage"]) > 100 and len(first["memberships"]) > len(first["users"]) * 0.9


def test_other_seed_gives_other_names_and_the_first_seed_comes_back():
    seed("--companies", "40", "--seed", "42")
    first = snapshot()
    seed("--companies", "40", "--seed", "7")
    other = snapshot()
    names = {row[1] for row in first["companies"][11:]}  # after the fixed showcase accounts
    other_names = {row[1] for row in other["companies"][11:]}
    assert len(names & other_names) < 5
    assert Company.objects.filter(DEMO).count() == 40  # nothing left over from seed 42
    assert Workspace.objects.filter(DEMO).count() == len(other["workspaces"])
    seed("--companies", "40", "--seed", "42")
    assert snapshot() == first


def test_seeding_leaves_imported_rows_alone():
    company = CompanyFactory(external_id="SF-0001", name="Imported Corp")
    CompanyDomainFactory(company=company, domain="imported.example")
    user = ProductUserFactory(external_id="U-1", email="jo@imported.example", company=company)
    usage = UsageRecordFactory(workspace__external_id="W-1", workspace__company=company)
    seed("--companies", "20")
    seed("--companies", "20", "--seed", "3")
    company.refresh_from_db()
    user.refresh_from_db()
    assert company.name == "Imported Corp" and company.domains.get().domain == "imported.example"
    assert user.company == company
    assert UsageRecord.objects.get(pk=usage.pk).workspace.external_id == "W-1"


def test_usage_amounts_follow_the_subscription():
    seed("--companies", "60")
    previous_month = months_back(date.today(), 2)[0]
    ratios = [
        amount / mrr
        for amount, mrr in UsageRecord.objects.filter(
            metric="compute_credits", period=previous_month, workspace__status="active", workspace__mrr__gt=0,
        ).values_list("amount", "workspace__mrr")
    ]
    assert len(ratios) >= 10
    assert Decimal("0.15") < median(ratios) < Decimal("1.5")
    assert not UsageRecord.objects.filter(workspace__plan="free", metric="compute_credits").exists()
    assert not UsageRecord.objects.filter(metric="api_calls", amount__gt=0).exists()  # included in the plan


def test_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off") as error:
        seed("--companies", "20")
    assert error.value.returncode == 1
    assert not Company.objects.exists() and not get_user_model().objects.filter(username="admin").exists()


def test_force_seeds_even_when_debug_is_off(settings):
    settings.DEBUG = False
    seed("--companies", "20", "--force")
    assert Company.objects.filter(DEMO).count() == 20


def test_too_few_companies_is_a_clear_error():
    with pytest.raises(CommandError, match="At least 20 companies"):
        seed("--companies", "5")
    assert not Company.objects.exists()


def test_refusal_exits_with_status_1_from_the_shell(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    env.update(DEBUG="0", SECRET_KEY="x7" * 40 + "abcdefghij", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    result = subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert "Refusing to load demo data: DEBUG is off" in result.stderr


GENERATE_DIGEST = """
import hashlib, django
from datetime import date, timedelta
django.setup()
from accounts.services.demo.generate import demo_generate
from accounts.services.demo.specs import PROFILES
from dataclasses import replace
data = demo_generate(seed=42, profile=replace(PROFILES["small"], companies=80), today=date(2026, 3, 15))
parts = [repr(c) for c in data.companies] + [repr(w) for w in data.workspaces] + [repr(u) for u in data.users]
parts += [repr(m) for m in data.memberships] + [repr(r) for r in data.usage()]
print(hashlib.sha256("\\n".join(parts).encode()).hexdigest())
"""


def test_generation_does_not_depend_on_the_process():
    """Same seed, two interpreters with different hash seeds: byte-identical data."""
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "DJANGO_SETTINGS_MODULE": "revops.settings.test"}
        result = subprocess.run([sys.executable, "-c", GENERATE_DIGEST], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        digests.add(result.stdout.strip())
    assert len(digests) == 1
    assert len(digests.pop()) == 64  # a sha256: the script got as far as printing it
