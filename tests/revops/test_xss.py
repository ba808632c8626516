"""HTML typed into any user-entered field renders escaped on every page that shows it.

Every text field below holds a script tag or an attribute-breaking payload; each page is fetched as a
RevOps admin (who sees everything) and as the rep/manager concerned, and the raw markup must not
appear anywhere in the page — including the server-rendered SVG charts and the htmx panels.
"""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from forecasting.compensation import services as comp_services
from forecasting.models import Statement
from playbooks.models import PlayStep
from tests.factories import CompanyFactory, ProductUserFactory, WorkspaceFactory
from tests.forecasting.comp_builders import Q3, assign, consumption, hybrid_plan, open_deal, won
from tests.forecasting.factories import ContractFactory, book_usage
from tests.playbooks.factories import PlaybookFactory, PlayFactory
from tests.stakeholders.factories import (
    AccountReviewNoteFactory,
    ActionItemFactory,
    ReviewSessionFactory,
    StakeholderFactory,
    log_contact,
)

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ATTR = '"><img src=x onerror=alert(1)>'
RAW = ("<script>alert(1)", "<img src=x onerror", "onerror=alert(1)>")


def evil(label: str, payload: str = SCRIPT) -> str:
    return f"{label} {payload}"


@pytest.fixture
def world(rep, rep2, manager, team, admin_user):
    company = CompanyFactory(name=evil("Acme", SCRIPT), industry=evil("Ind", ATTR), owner=rep,
                             external_id="XSS-1", potential_arr=D("500000"))
    child = CompanyFactory(name=evil("Acme child", ATTR), parent=company, owner=rep)
    WorkspaceFactory(company=company, name=evil("Workspace", SCRIPT), plan=evil("plan", ATTR))
    WorkspaceFactory(company=child, name=evil("Workspace2", ATTR))
    ProductUserFactory(company=company, name=evil("User", SCRIPT), title=evil("Title", ATTR))
    boss = StakeholderFactory(company=company, name=evil("Boss", SCRIPT), title=evil("CFO", ATTR),
                              department=evil("Dept", SCRIPT), created_by=rep)
    StakeholderFactory(company=company, name=evil("Champion", ATTR), title=evil("VP", SCRIPT), reports_to=boss)
    interaction = log_contact(boss, by=rep, summary=evil("Summary", SCRIPT), next_step=evil("Next", ATTR),
                              next_step_due=date.today() + timedelta(days=3))
    session = ReviewSessionFactory(team=team, started_by=manager, notes=evil("Session notes", ATTR))
    AccountReviewNoteFactory(session=session, company=company, notes=evil("Review note", SCRIPT))
    ActionItemFactory(session=session, company=company, description=evil("Action", ATTR), assignee=rep)
    ActionItemFactory(session=session, company=company, description=evil("Action2", SCRIPT), assignee=rep2)
    playbook = PlaybookFactory(name=evil("Playbook", SCRIPT), description=evil("Describe", ATTR), owner_team=team)
    play = PlayFactory(playbook=playbook, company=company, assignee=rep, notes=evil("Play notes", SCRIPT))
    PlayStep.objects.create(play=play, position=1, title=evil("Step", ATTR))
    contract = ContractFactory(company=company, owner=rep, name=evil("Contract", SCRIPT), kind="commit",
                               start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    for month in (date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)):
        book_usage(company, month, 1000)
    plan = hybrid_plan(name=evil("Plan", SCRIPT))
    assign(rep, plan)
    assign(rep2, plan)
    won(rep, 120000, name=evil("Won deal", ATTR), company=company)
    open_deal(rep, 40000, name=evil("Open deal", SCRIPT), company=company)
    consumption(rep, 30000, company=company)
    comp_services.statements_calculate(period=Q3)
    return {"company": company, "child": child, "interaction": interaction, "session": session,
            "playbook": playbook, "play": play, "contract": contract,
            "statement": Statement.objects.get(rep=rep, period=Q3)}


def _pages(world) -> list[str]:
    c = world["company"]
    return [
        "/accounts/", f"/accounts/?q=Acme", f"/accounts/{c.pk}/", f"/accounts/{c.pk}/tree/",
        f"/accounts/{world['child'].pk}/", "/accounts/consolidation/", "/accounts/review/",
        f"/review/accounts/{c.pk}/panel/", f"/review/accounts/{c.pk}/panel/?all=1",
        f"/review/interactions/{world['interaction'].pk}/edit/", f"/review/accounts/{c.pk}/log/",
        f"/review/stakeholders/{c.stakeholders.first().pk}/edit/",
        "/review/", f"/review/rows/{c.pk}/", "/review/sessions/", f"/review/sessions/{world['session'].pk}/",
        "/playbooks/", "/playbooks/plays/", f"/playbooks/{world['playbook'].slug}/",
        f"/playbooks/plays/{world['play'].pk}/",
        "/forecast/", "/forecast/retention/", "/forecast/contracts/", f"/forecast/contracts/{world['contract'].pk}/",
        "/compensation/?period=2026-Q3", f"/compensation/statements/{world['statement'].pk}/",
        f"/compensation/statements/{world['statement'].pk}/what-if/",
        "/compensation/team/?period=2026-Q3",
    ]


def _assert_escaped(response, url: str) -> None:
    assert response.status_code == 200, f"{url}: {response.status_code}"
    html = response.content.decode()
    for raw in RAW:
        assert raw not in html, f"{url}: raw {raw!r} in the page"


@pytest.mark.parametrize("who", ["admin", "rep", "manager"])
def test_user_entered_html_is_escaped_on_every_page(client, world, who, admin_user, rep, manager):
    client.force_login({"admin": admin_user, "rep": rep, "manager": manager}[who])
    checked = 0
    for url in _pages(world):
        if who == "rep" and url.startswith("/compensation/team/"):
            continue  # reps have no team view (403, see the permission matrix)
        _assert_escaped(client.get(url), url)
        _assert_escaped(client.get(url, HTTP_HX_REQUEST="true"), url + " (htmx)")
        checked += 1
    assert checked >= 27


def test_the_payload_is_really_on_the_pages(admin_client, world):
    """Guard against a test that passes because nothing was shown: the escaped text is there."""
    c = world["company"]
    expectations = {
        f"/accounts/{c.pk}/": ["Acme &lt;script&gt;", "Workspace &lt;script&gt;", "Boss &lt;script&gt;",
                               "Summary &lt;script&gt;", "Next &quot;&gt;&lt;img"],
        "/accounts/": ["Acme &lt;script&gt;"],
        f"/review/sessions/{world['session'].pk}/": ["Action &quot;&gt;&lt;img"],
        f"/playbooks/{world['playbook'].slug}/": ["Playbook &lt;script&gt;"],
        f"/playbooks/plays/{world['play'].pk}/": ["Play notes &lt;script&gt;", "Step &quot;&gt;&lt;img",
                                                  "Won deal &quot;&gt;&lt;img"],
        f"/forecast/contracts/{world['contract'].pk}/": ["Contract &lt;script&gt;"],
        f"/compensation/statements/{world['statement'].pk}/": ["Plan &lt;script&gt;", "Won deal &quot;&gt;"],
    }
    for url, fragments in expectations.items():
        html = admin_client.get(url).content.decode()
        for fragment in fragments:
            assert fragment in html, f"{url}: {fragment!r} not shown"
