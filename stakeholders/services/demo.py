"""Demo stakeholders and two years of contacts for ``seed_demo`` (settings.REVOPS_DEMO_EXTENSIONS).

Every demo company gets an org chart (an executive at the top, reporting lines below, roles
colour-coded on the map) and a contact history over the last two years with realistic gaps. Each
account follows one story:

* healthy: five or more known, buyer mapped, several people contacted in the last weeks;
* thin map: fewer than five known;
* no power: nobody with budget (no economic buyer, no executive sponsor);
* single-threaded: only the champion is still spoken to;
* gone quiet: nobody contacted for one to six months (stale champion included);
* overdue: an agreed next step is past its date.

The top 25 accounts of every team cycle through the stories, so the weekly review shows every flag
on the first run (for maria's Enterprise East above all); the other accounts draw a story at random.
Last week's review session of each team is there too, with action items (some done), so the
carry-over shows. Deterministic for a seed and a day; replaces its own rows (external ids DEMO-…).
"""
import random
from datetime import date, datetime, time, timedelta
from time import monotonic

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Company, ProductUser, Team
from accounts.services.demo.write import analyze_tables
from stakeholders.models import (
    ActionItem,
    Interaction,
    InteractionParticipant,
    ReviewSession,
    Stakeholder,
)
from stakeholders.selectors.review import review_accounts, week_start

from .core import last_contact_refresh
from .sessions import review_snapshot

PREFIX = "DEMO-"
SESSION_NOTE = "Demo review (seed_demo)."
HISTORY_DAYS = 730
TOP_N = 25
BATCH = 5000
R = Stakeholder.Role
STORIES = ("healthy", "thin", "no_power", "single", "quiet", "overdue")
# Order of the top accounts' stories: every flag within the first six, healthy ones in between.
TOP_CYCLE = ("single", "healthy", "quiet", "thin", "overdue", "no_power", "healthy", "single", "overdue",
             "healthy", "thin", "quiet")
RANDOM_WEIGHTS = (30, 25, 10, 15, 12, 8)

FIRST = ("James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "Sarah", "Daniel", "Emily",
         "Lukas", "Anna", "Sophie", "Hugo", "Camille", "Priya", "Arjun", "Haruto", "Yui", "Lucía", "Marco", "Giulia",
         "Astrid", "Erik", "Aisha", "Kenji", "Inès", "Joost", "Fleur", "Mateo", "Olivia", "Noah", "Zoe", "Rahul")
LAST = ("Smith", "Johnson", "Brown", "Miller", "Davis", "Wilson", "Taylor", "Clark", "Müller", "Schmidt", "Weber",
        "Martin", "Dubois", "Moreau", "Sharma", "Iyer", "Nair", "Sato", "Tanaka", "García", "López", "Rossi",
        "Bianchi", "Andersson", "Nilsson", "Patel", "Nguyen", "Kim", "de Vries", "Jansen", "Carter", "Murphy")
# (role, typical titles, department, influence range)
ROLE_TITLES = {
    R.ECONOMIC_BUYER: (("CFO", "VP Finance", "CIO", "COO"), "Finance", (4, 5)),
    R.EXECUTIVE_SPONSOR: (("CTO", "Chief Digital Officer", "SVP Engineering", "CEO"), "Executive", (4, 5)),
    R.DECISION_MAKER: (("VP Engineering", "Head of Platform", "Director of IT", "Head of Data"), "Engineering", (3, 5)),
    R.CHAMPION: (("Engineering Manager", "Staff Engineer", "Analytics Lead", "Product Director"), "Engineering",
                 (3, 4)),
    R.TECHNICAL_EVALUATOR: (("Security Architect", "Principal Engineer", "Platform Lead", "Data Architect"), "IT",
                            (2, 4)),
    R.PROCUREMENT: (("Procurement Manager", "Vendor Manager", "Sourcing Lead"), "Procurement", (2, 3)),
    R.END_USER: (("Data Scientist", "Software Engineer", "Analyst", "Designer"), "Data", (1, 2)),
    R.INFLUENCER: (("Enterprise Architect", "Product Manager", "Ops Manager"), "Operations", (2, 3)),
    R.BLOCKER: (("Head of Security", "IT Governance Lead"), "Security", (3, 4)),
}
SUMMARIES = ("Quarterly business review", "Renewal planning", "Security questionnaire walkthrough",
             "Usage review and expansion ideas", "Intro to the new platform team", "Pricing discussion",
             "Executive alignment call", "Workshop on consolidating workspaces", "Follow-up on the proposal",
             "Roadmap preview", "Support escalation debrief", "Procurement paperwork")
NEXT_STEPS = ("Send the enterprise proposal", "Book the security review", "Share the usage report",
              "Intro to the CFO", "Schedule a workshop with the platform team", "Confirm the budget cycle",
              "Draft the consolidation plan")
CHANNELS = tuple(Interaction.Channel.values)
CHANNEL_WEIGHTS = (2, 6, 3, 5, 1, 1)


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())


def _story_for(companies: list[Company], rng: random.Random) -> dict[int, str]:
    """Each team's top 25 cycle through TOP_CYCLE; the rest draw at random."""
    stories = {c.pk: rng.choices(STORIES, weights=RANDOM_WEIGHTS)[0] for c in companies}
    for team in Team.objects.order_by("name"):
        top = [a.company.pk for a in review_accounts(team=team, top_n=TOP_N)]
        for index, pk in enumerate(top):
            if pk in stories:
                stories[pk] = TOP_CYCLE[index % len(TOP_CYCLE)]
    return stories


def _people_plan(story: str, company: Company, rng: random.Random) -> list[str]:
    """The roles at the account, top of the org first."""
    big = (company.employee_count or 0) >= 2000 or company.tier == Company.Tier.ENTERPRISE
    if story == "thin":
        return rng.choice(([R.CHAMPION], [R.CHAMPION, R.END_USER], [R.ECONOMIC_BUYER, R.CHAMPION, R.END_USER],
                           [R.DECISION_MAKER, R.CHAMPION, R.TECHNICAL_EVALUATOR, R.END_USER]))
    roles = [R.ECONOMIC_BUYER if rng.random() < 0.7 else R.EXECUTIVE_SPONSOR, R.DECISION_MAKER, R.CHAMPION,
             R.TECHNICAL_EVALUATOR, R.PROCUREMENT]
    if rng.random() < 0.5:
        roles.insert(1, R.EXECUTIVE_SPONSOR if roles[0] == R.ECONOMIC_BUYER else R.ECONOMIC_BUYER)
    extra = rng.randint(1, 5) if big else rng.randint(0, 2)
    roles += rng.choices((R.END_USER, R.INFLUENCER, R.END_USER, R.BLOCKER, R.CHAMPION), k=extra)
    if story == "no_power":
        roles = [r for r in roles if r not in (R.ECONOMIC_BUYER, R.EXECUTIVE_SPONSOR)]
        while len(roles) < 5:
            roles.append(R.INFLUENCER)
    return roles


def _moment(today: date, days_ago: float, rng: random.Random) -> datetime:
    day = today - timedelta(days=max(1, int(days_ago)))
    return timezone.make_aware(datetime.combine(day, time(rng.randint(8, 17), rng.choice((0, 15, 30, 45)))),
                               timezone.get_default_timezone())


class _Seeder:
    def __init__(self, *, seed: int, today: date):
        self.seed, self.today = seed, today
        self.rng = random.Random(f"stakeholders:{seed}")
        self.people: list[Stakeholder] = []
        self.bosses: dict[str, str] = {}
        self.interactions: list[Interaction] = []
        self.participants: list[tuple[str, list[str]]] = []  # interaction external id → stakeholder external ids
        self.names: dict[str, str] = {}
        self.max_contacts = 60  # per account; fewer on the large size

    def company(self, company: Company, story: str, reps_by_team: dict[int | None, list[int]],
                product_users: dict[int, list[tuple[str, str, str]]]) -> None:
        rng = random.Random(f"{self.seed}:{company.external_id}")
        plan = _people_plan(story, company, rng)
        domain = _slug(company.name)[:30] or "customer"
        known = product_users.get(company.pk, [])
        keys: list[tuple[str, str]] = []  # (external id, role)
        used_emails: set[str] = set()
        for index, role in enumerate(plan):
            titles, department, (low, high) = ROLE_TITLES[role]
            if known and role in (R.CHAMPION, R.END_USER, R.TECHNICAL_EVALUATOR) and rng.random() < 0.6:
                email, name, title, product_user_id = known.pop()
                title = title or rng.choice(titles)
            else:
                product_user_id = None
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                email = f"{_slug(name.split()[0])}.{_slug(name.split()[-1])}@{domain}.example"
                title = rng.choice(titles)
            if email in used_emails:
                email = email.replace("@", f"{index}@")
            used_emails.add(email)
            external_id = f"{PREFIX}SH-{company.external_id[len(PREFIX):]}-{index + 1}"
            left = story != "single" and index > 2 and rng.random() < 0.06
            self.people.append(Stakeholder(
                company=company, external_id=external_id, name=name, email=email, title=title,
                department=department, role=role, influence=rng.randint(low, high),
                sentiment=rng.choice(Stakeholder.Sentiment.values), is_active=not left,
                left_at=self.today - timedelta(days=rng.randint(20, 300)) if left else None,
                product_user_id=product_user_id,
            ))
            self.names[external_id] = name
            if index > 0:
                # Reporting lines: the first person is the top; the rest report to someone above them.
                self.bosses[external_id] = keys[rng.randint(0, min(index, 3) - 1)][0]
            keys.append((external_id, role))
        active = [(k, role) for (k, role), p in zip(keys, self.people[-len(keys):]) if p.is_active]
        # Key ranks: on most accounts the owner ranked the top people; the rest leave it to the review.
        if rng.random() < 0.75:
            ranked = sorted(active, key=lambda kr: -ROLE_TITLES[kr[1]][2][1])[:5]
            by_key = {p.external_id: p for p in self.people[-len(keys):]}
            for rank, (k, _role) in enumerate(ranked, start=1):
                by_key[k].key_rank = rank
        owner = company.owner_id
        team_reps = reps_by_team.get(owner, [owner]) if owner else [None]
        self._history(company, story, active, owner, team_reps, rng)

    def _history(self, company, story, active, owner, team_reps, rng) -> None:
        if not active:
            return
        champion = next((k for k, role in active if role == R.CHAMPION), active[0][0])
        others = [k for k, _ in active if k != champion]
        # When each person was last spoken to (days ago), by story.
        if story == "healthy":
            recent = {k: rng.randint(1, 25) for k, _ in active}
            for k in rng.sample(others, k=max(0, len(others) - 3)):
                recent[k] = rng.randint(35, 200)
        elif story == "single":
            recent = {champion: rng.randint(1, 12), **{k: rng.randint(45, 300) for k in others}}
        elif story == "quiet":
            recent = {k: rng.randint(35, 180) for k, _ in active}
            recent[champion] = rng.randint(60, 200)  # the stale champion
        elif story == "thin":
            recent = {k: rng.randint(1, 40) for k, _ in active}
        else:  # no_power, overdue
            recent = {k: rng.randint(1, 28) if i < 3 else rng.randint(31, 150) for i, (k, _) in enumerate(active)}
        for k in rng.sample(others, k=len(others) // 4):
            if story != "healthy" or recent[k] > 30:
                recent[k] = None  # never contacted
        count = 0
        start = HISTORY_DAYS - rng.randint(0, 300)
        for person, last in recent.items():
            if last is None:
                continue
            # A cadence of contacts with this person from the start of the relationship up to `last`.
            day = last
            gap = rng.choice((14, 21, 30, 45, 60))
            while day < start and count < self.max_contacts:
                group = [person] + rng.sample(others, k=min(len(others), rng.choice((0, 0, 0, 1, 2))))
                group = [g for g in group if recent.get(g) is not None and recent[g] <= day]
                count += 1
                self._interaction(company, group or [person], day, owner, team_reps, rng, count,
                                  latest=day == last, story=story)
                day += gap + rng.randint(-5, 20)
        if story == "overdue" and count == 0 and active:
            self._interaction(company, [champion], 10, owner, team_reps, rng, 1, latest=True, story=story)

    def _interaction(self, company, group, days_ago, owner, team_reps, rng, n, *, latest, story) -> None:
        occurred = _moment(self.today, days_ago, rng)
        logger = owner if rng.random() < 0.8 or not team_reps else rng.choice(team_reps)
        next_step, due, done = "", None, None
        if rng.random() < 0.45 or (latest and story in ("overdue", "healthy")):
            next_step = rng.choice(NEXT_STEPS)
            due = occurred.date() + timedelta(days=rng.randint(5, 21))
            if latest and story == "overdue":
                due = self.today - timedelta(days=rng.randint(2, 12))
            elif due < self.today:
                done = occurred + timedelta(days=rng.randint(1, 10))
            elif story != "overdue" and due < self.today + timedelta(days=1):
                due = self.today + timedelta(days=7)
        external_id = f"{PREFIX}IX-{company.external_id[len(PREFIX):]}-{n}"
        self.interactions.append(Interaction(
            company=company, external_id=external_id, logged_by_id=logger,
            channel=rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0], occurred_at=occurred,
            summary=rng.choice(SUMMARIES), next_step=next_step, next_step_due=due,
            next_step_done_at=min(done, timezone.now()) if done else None,
        ))
        self.participants.append((external_id, group))


def _remove_demo_rows() -> None:
    Interaction.objects.filter(external_id__startswith=PREFIX).delete()
    Stakeholder.objects.filter(external_id__startswith=PREFIX).delete()
    ReviewSession.objects.filter(notes=SESSION_NOTE).delete()


def _last_week_sessions(*, today: date, rng: random.Random) -> int:
    """Last week's session of each team (closed, with notes and action items), so carry-over shows."""
    admin = get_user_model().objects.filter(username="admin").first()
    monday = week_start(today) - timedelta(days=7)
    made = 0
    for team in Team.objects.select_related("manager").order_by("name"):
        runner = team.manager or admin
        if runner is None or ReviewSession.objects.filter(team=team, week_start=monday).exists():
            continue
        held = timezone.make_aware(datetime.combine(monday, time(15, 0)), timezone.get_default_timezone())
        snapshot = review_snapshot(team=team, by=runner, ranking="potential", top_n=TOP_N, now=held)
        session = ReviewSession.objects.create(
            team=team, week_start=monday, snapshot=snapshot, started_by=runner, notes=SESSION_NOTE,
            status=ReviewSession.Status.CLOSED, closed_at=held + timedelta(hours=1),
        )
        rows = snapshot["rows"][:8]
        for index, row in enumerate(rows):
            assignee = row["owner_id"]
            done = index % 3 == 0
            ActionItem.objects.create(
                session=session, company_id=row["company_id"], assignee_id=assignee, created_by=runner,
                description=rng.choice(("Get an intro to the economic buyer", "Map procurement and legal",
                                        "Re-engage the champion", "Book an executive sponsor meeting",
                                        "Agree the mutual action plan")),
                due_date=monday + timedelta(days=4),
                status=ActionItem.Status.DONE if done else ActionItem.Status.OPEN,
                completed_at=held + timedelta(days=2) if done else None,
            )
        made += 1
    return made


@transaction.atomic
def demo_seed(*, seed: int, today: date, progress=None) -> dict[str, int]:
    report = progress or (lambda stage, rows, seconds, done: None)
    started = monotonic()
    _remove_demo_rows()
    companies = list(Company.objects.filter(external_id__startswith=PREFIX).select_related("owner")
                     .order_by("external_id"))
    seeder = _Seeder(seed=seed, today=today)
    if len(companies) > 5000:
        seeder.max_contacts = 12
    stories = _story_for(companies, seeder.rng)
    User = get_user_model()
    team_of = dict(User.objects.filter(profile__team__isnull=False).values_list("id", "profile__team_id"))
    members: dict[int, list[int]] = {}
    for user_id, team_id in team_of.items():
        members.setdefault(team_id, []).append(user_id)
    reps_by_team = {user_id: sorted(members[team_id]) for user_id, team_id in team_of.items()}
    product_users: dict[int, list[tuple[str, str, str]]] = {}
    if len(companies) <= 5000:  # the large size has no use for product-user links in the demo map
        for company_id, email, name, title, pk in (
            ProductUser.objects.filter(company__external_id__startswith=PREFIX).exclude(name="")
            .order_by("company_id", "id").values_list("company_id", "email", "name", "title", "id")
        ):
            product_users.setdefault(company_id, []).append((email.lower(), name, title, pk))
    for company in companies:
        seeder.company(company, stories[company.pk], reps_by_team, product_users)
    report("stakeholders planned", len(seeder.people), monotonic() - started, True)

    Stakeholder.objects.bulk_create(seeder.people, batch_size=BATCH)
    ids = dict(Stakeholder.objects.filter(external_id__startswith=PREFIX).values_list("external_id", "id"))
    bosses = [Stakeholder(pk=ids[k], reports_to_id=ids[b]) for k, b in seeder.bosses.items()]
    Stakeholder.objects.bulk_update(bosses, ["reports_to"], batch_size=BATCH)
    report("stakeholders", len(seeder.people), monotonic() - started, True)

    Interaction.objects.bulk_create(seeder.interactions, batch_size=BATCH)
    interaction_ids = dict(Interaction.objects.filter(external_id__startswith=PREFIX)
                           .values_list("external_id", "id"))
    InteractionParticipant.objects.bulk_create(
        [InteractionParticipant(interaction_id=interaction_ids[ix], stakeholder_id=ids[k],
                                stakeholder_name=seeder.names[k])
         for ix, group in seeder.participants for k in dict.fromkeys(group)],
        batch_size=BATCH,
    )
    analyze_tables(Stakeholder, Interaction, InteractionParticipant)
    last_contact_refresh(stakeholder_ids=Stakeholder.objects.filter(external_id__startswith=PREFIX).values("pk"))
    report("interactions", len(seeder.interactions), monotonic() - started, True)
    sessions = _last_week_sessions(today=today, rng=seeder.rng)
    report("review sessions", sessions, monotonic() - started, True)
    return {"stakeholders": len(seeder.people), "interactions": len(seeder.interactions),
            "review sessions": sessions}


def demo_summary() -> list[tuple[str, int, str]]:
    people = Stakeholder.objects.filter(external_id__startswith=PREFIX).aggregate(
        total=Count("id"), key=Count("id", filter=Q(key_rank__isnull=False)),
        companies=Count("company", distinct=True), left=Count("id", filter=Q(is_active=False)),
    )
    contacts = Interaction.objects.filter(external_id__startswith=PREFIX).aggregate(
        total=Count("id"),
        open_steps=Count("id", filter=Q(next_step_done_at__isnull=True) & ~Q(next_step="")),
    )
    return [
        ("stakeholders", people["total"],
         f"{people['companies']:,} companies, {people['key']:,} key, {people['left']:,} left"),
        ("interactions", contacts["total"], f"two years, {contacts['open_steps']:,} open next steps"),
        ("review sessions", ReviewSession.objects.filter(notes=SESSION_NOTE).count(), "last week's, per team"),
    ]
