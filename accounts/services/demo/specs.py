"""What the demo data set is made of: sizes, the sales org, plans, and the specs the generator
fills; plus the usage stream, generated lazily from each workspace's spec."""
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from revops import roles

DEMO_PREFIX = "DEMO-"
COMPANY_PREFIX = f"{DEMO_PREFIX}C"
WORKSPACE_PREFIX = f"{DEMO_PREFIX}W"
USER_PREFIX = f"{DEMO_PREFIX}U"
USAGE_MONTHS = 24
LINKED_SHARE = 0.6  # workspaces/users already tied to their CRM company; the rest is the resolver's work
FREE_MAIL_SHARE = 0.15

# plan: (monthly list price per seat, price per compute credit in cents, seat range)
PLANS = {
    "free": (0, 0, (1, 5)),
    "team": (12, 30, (2, 50)),
    "business": (29, 25, (8, 300)),
    "enterprise": (49, 20, (40, 2500)),
}
PLAN_WEIGHTS = {  # by company tier; "" = no CRM company (pure self-serve)
    "smb": (45, 40, 13, 2),
    "mid_market": (30, 35, 27, 8),
    "enterprise": (22, 28, 30, 20),
    "": (55, 35, 10, 0),
}
SHAPES = ("growing", "flat", "shrinking", "seasonal", "intermittent")
SHAPE_WEIGHTS = (35, 25, 15, 15, 10)


@dataclass(frozen=True)
class SizeProfile:
    companies: int
    users_cap: int  # most product users generated for one workspace
    metrics: tuple[str, ...]


PROFILES = {
    "small": SizeProfile(companies=300, users_cap=18, metrics=("compute_credits", "api_calls")),
    # One metric, paying workspaces only: still ~1.5 million usage rows.
    "large": SizeProfile(companies=100_000, users_cap=5, metrics=("compute_credits",)),
}


@dataclass(frozen=True)
class PersonSpec:
    username: str
    first_name: str
    last_name: str
    role: str
    time_zone: str
    team: str | None = None


@dataclass(frozen=True)
class TeamSpec:
    name: str
    manager: str
    segment: str  # which company tiers the team owns


TEAMS = (
    TeamSpec("Enterprise East", manager="maria", segment="enterprise"),
    TeamSpec("Mid-market West", manager="otto", segment="commercial"),
)
PEOPLE = (
    PersonSpec("admin", "Ada", "Lovelace", roles.REVOPS_ADMIN, "Europe/London"),
    PersonSpec("maria", "Maria", "Rossi", roles.MANAGER, "America/New_York", "Enterprise East"),
    PersonSpec("ravi", "Ravi", "Shankar", roles.REP, "America/Chicago", "Enterprise East"),
    PersonSpec("rosa", "Rosa", "Delgado", roles.REP, "America/New_York", "Enterprise East"),
    PersonSpec("sofia", "Sofia", "Lindqvist", roles.REP, "Europe/London", "Enterprise East"),
    PersonSpec("tomas", "Tomas", "Berger", roles.REP, "Europe/Berlin", "Enterprise East"),
    PersonSpec("lena", "Lena", "Hofmann", roles.REP, "Europe/Berlin", "Enterprise East"),
    PersonSpec("otto", "Otto", "Meyer", roles.MANAGER, "America/Los_Angeles", "Mid-market West"),
    PersonSpec("oscar", "Oscar", "Bennett", roles.REP, "America/Denver", "Mid-market West"),
    PersonSpec("priya", "Priya", "Natarajan", roles.REP, "America/Los_Angeles", "Mid-market West"),
    PersonSpec("jonas", "Jonas", "Vermeulen", roles.REP, "Europe/Amsterdam", "Mid-market West"),
    PersonSpec("chloe", "Chloe", "Tremblay", roles.REP, "America/Chicago", "Mid-market West"),
)


def _reps(team: str) -> tuple[str, ...]:
    return tuple(p.username for p in PEOPLE if p.team == team and p.role == roles.REP)


ENTERPRISE_REPS = _reps("Enterprise East")
COMMERCIAL_REPS = _reps("Mid-market West")


@dataclass(slots=True)
class CompanySpec:
    external_id: str
    name: str
    brand: str
    parent: str | None
    level: int
    industry: str
    employee_count: int | None
    annual_revenue: Decimal | None
    potential_arr: Decimal | None
    owner: str | None
    tier: str
    country: str
    domains: list[str]
    family: list[str]  # every domain of the company's family, shared between its members
    workspace_names: tuple[tuple[str, bool], ...] = ()  # the showcase accounts' workspaces: (name, linked)


@dataclass(slots=True)
class WorkspaceSpec:
    external_id: str
    name: str
    plan: str
    seats: int
    mrr: Decimal
    status: str
    created_at: datetime
    company: str | None  # linked CRM company (external id), None if left to the resolver
    matched_at: datetime | None
    # What drives the usage series
    list_mrr: int
    shape: str
    ratio: float
    growth: float
    phase: int
    last_period: date
    user_count: int = 0


@dataclass(slots=True)
class UserSpec:
    external_id: str
    email: str
    name: str
    company_name: str
    title: str
    signed_up_at: datetime
    last_active_at: datetime
    company: str | None
    matched_at: datetime | None


@dataclass
class DemoData:
    seed: int
    today: date
    metrics: tuple[str, ...]
    companies: list[CompanySpec] = field(default_factory=list)
    workspaces: list[WorkspaceSpec] = field(default_factory=list)
    users: list[UserSpec] = field(default_factory=list)
    memberships: list[tuple[str, str, str]] = field(default_factory=list)  # user, workspace, role

    def domains(self) -> Iterator[tuple[str, str]]:
        for company in self.companies:
            for domain in company.domains:
                yield company.external_id, domain

    def usage(self) -> Iterator[tuple[str, date, str, Decimal, Decimal]]:
        """(workspace external id, period, metric, quantity, amount) for every usage month."""
        periods = months_back(self.today, USAGE_MONTHS)
        days_in_month = (periods[-1].replace(day=28) + timedelta(days=4)).replace(day=1) - periods[-1]
        month_to_date = self.today.day / days_in_month.days  # the current month is still running
        api_calls = "api_calls" in self.metrics
        for ws in self.workspaces:
            paying = ws.plan != "free" and ws.status != "trial"
            if not paying and not api_calls:
                continue
            rng = random.Random(f"{self.seed}:{ws.external_id}")
            first = ws.created_at.date().replace(day=1)
            credit_cents = PLANS[ws.plan][1]
            calls_per_user = rng.uniform(800, 20_000)
            for index, period in enumerate(periods):
                if period < first or period > ws.last_period:
                    continue
                factor = _shape_factor(rng, ws, index, period)
                if factor <= 0:
                    continue
                if index == USAGE_MONTHS - 1:
                    factor *= month_to_date
                if paying:
                    credits = round(ws.list_mrr * ws.ratio * factor * 100 / credit_cents)
                    if credits > 0:
                        yield ws.external_id, period, "compute_credits", Decimal(credits), Decimal(
                            credits * credit_cents
                        ).scaleb(-2)
                if api_calls:
                    calls = round(max(ws.user_count, 1) * calls_per_user * factor)
                    if calls > 0:
                        yield ws.external_id, period, "api_calls", Decimal(calls), Decimal("0.00")


def months_back(today: date, count: int) -> list[date]:
    """The first days of the last ``count`` months, oldest first, ending with today's month."""
    index = today.year * 12 + today.month - 1
    return [date((i) // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def _shape_factor(rng: random.Random, ws: WorkspaceSpec, index: int, period: date) -> float:
    age = index - (USAGE_MONTHS - 1)  # 0 for the current month, negative before
    if ws.shape == "growing":
        base = (1 + ws.growth) ** age
    elif ws.shape == "shrinking":
        base = (1 + ws.growth / 2) ** -age
    elif ws.shape == "seasonal":
        base = 1 + 0.4 * math.sin(2 * math.pi * (period.month + ws.phase) / 12)
    elif ws.shape == "intermittent":
        base = 0.0 if rng.random() < 0.45 else rng.uniform(0.3, 1.7)
    else:
        base = 1.0
    return base * max(0.5, rng.gauss(1, 0.07))
