"""The account list and account page, through real URLs with a logged-in user."""
import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from accounts.models import Company, ResolutionSettings
from tests.factories import (
    CompanyDomainFactory,
    CompanyFactory,
    ProductUserFactory,
    UsageRecordFactory,
    UserFactory,
    WorkspaceFactory,
    WorkspaceMembershipFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/accounts/"


def names(response) -> list[str]:
    """The companies on the page, in the order the response lists them."""
    return [company.name for company in response.context["companies"]]


def html_order(response, *wanted: str) -> list[str]:
    """The given names sorted by where they first appear in the HTML, to check what the user sees."""
    content = response.content.decode()
    positions = {name: content.index(f">{name}</a>") for name in wanted}
    return sorted(wanted, key=positions.get)


def months_ago(n: int) -> date:
    today = date.today()
    index = today.year * 12 + today.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


# --- access ------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client):
    company = CompanyFactory()
    for url in (LIST, f"/accounts/{company.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={url}"


def test_layout_shows_navigation_user_and_role(rep_client, rep):
    rep.first_name, rep.last_name = "Ravi", "Shah"
    rep.save()
    content = rep_client.get(LIST).content.decode()
    for label, url in [("Accounts", "/accounts/"), ("Playbooks", "/playbooks/"), ("Weekly review", "/review/"),
                       ("Forecast", "/forecast/"), ("Compensation", "/compensation/")]:
        assert f'href="{url}"' in content and f">{label}</a>" in content
    assert 'href="/accounts/" class="active" aria-current="page"' in content
    assert "Ravi Shah" in content and ">Rep<" in content
    assert 'action="/logout/"' in content
    assert 'href="/imports/"' not in content  # imports are for RevOps admins only


def test_admin_sees_imports_in_navigation(admin_client):
    content = admin_client.get(LIST).content.decode()
    assert 'href="/imports/"' in content and ">Imports</a>" in content


def test_pages_reference_no_external_urls(rep_client):
    parent = CompanyFactory(name="Parent")
    company = CompanyFactory(name="Child", parent=parent)
    UsageRecordFactory(workspace=WorkspaceFactory(company=company), period=months_ago(1))
    for url in (LIST, f"/accounts/{company.pk}/", "/forecast/", "/accounts/999999/"):
        content = rep_client.get(url).content.decode()
        assert not re.search(r"""(src|href|action)=["']?(https?:)?//""", content), url
        assert "@import" not in content


# --- list: search and filters -------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["umbrel", "UMBRELLA", "umbrella-corp.co.uk", "corp.co", "SF-UMB-001"],
    ids=["name-part", "name-case", "domain", "domain-part", "external-id"],
)
def test_search_finds_company_by_name_domain_or_external_id(rep_client, query):
    umbrella = CompanyFactory(name="Umbrella Group", external_id="SF-UMB-001")
    CompanyDomainFactory(company=umbrella, domain="umbrella-corp.co.uk")
    other = CompanyFactory(name="Globex", external_id="SF-GLX-002")
    CompanyDomainFactory(company=other, domain="globex.com")

    response = rep_client.get(LIST, {"q": query})

    assert response.status_code == 200
    assert names(response) == ["Umbrella Group"]
    assert "1</strong> account matching" in response.content.decode()


def test_search_on_external_id_is_exact_not_partial(rep_client):
    CompanyFactory(name="Initech", external_id="SF-100")
    assert names(rep_client.get(LIST, {"q": "SF-1"})) == []


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"tier": "enterprise"}, {"Alpha"}),
        ({"country": "de"}, {"Beta"}),
        ({"industry": "retail"}, {"Gamma"}),
        ({"is_root": "true"}, {"Alpha", "Gamma"}),
        ({"has_workspaces": "true"}, {"Alpha"}),
        ({"tier": "smb", "country": "DE"}, {"Beta"}),
        ({"tier": "smb", "country": "US"}, set()),
    ],
)
def test_filters_narrow_the_list(rep_client, params, expected):
    alpha = CompanyFactory(name="Alpha", tier=Company.Tier.ENTERPRISE, country="US", industry="Software")
    CompanyFactory(name="Beta", tier=Company.Tier.SMB, country="DE", industry="Software", parent=alpha)
    CompanyFactory(name="Gamma", tier=Company.Tier.MID_MARKET, country="US", industry="Retail")
    WorkspaceFactory(company=alpha)

    response = rep_client.get(LIST, params)

    assert set(names(response)) == expected


def test_filter_by_owner_and_options_list_owners(rep_client, rep, rep2):
    CompanyFactory(name="Mine", owner=rep)
    CompanyFactory(name="Theirs", owner=rep2)
    CompanyFactory(name="Nobody's")

    response = rep_client.get(LIST, {"owner": rep.pk})

    assert names(response) == ["Mine"]
    content = response.content.decode()
    assert f'<option value="{rep.pk}" selected>' in content
    assert f'<option value="{rep2.pk}">' in content


def test_filter_dropdowns_offer_values_present_in_the_data(rep_client):
    CompanyFactory(country="SE", industry="Biotech")
    CompanyFactory(country="FR", industry="")
    content = rep_client.get(LIST).content.decode()
    assert '<option value="FR">FR</option>' in content and '<option value="SE">SE</option>' in content
    assert '<option value="Biotech">Biotech</option>' in content


# --- list: sorting ------------------------------------------------------------------------


@pytest.fixture
def three_companies():
    """Names and ARR in different orders, and a potential that makes penetration differ again."""
    small = CompanyFactory(name="Bravo", potential_arr=Decimal("10000"))
    large = CompanyFactory(name="Charlie", potential_arr=Decimal("1000000"))
    CompanyFactory(name="Alpha", potential_arr=None)
    WorkspaceFactory(company=small, mrr=Decimal("500"))  # ARR 6,000 → 60 %
    WorkspaceFactory(company=large, mrr=Decimal("1000"))  # ARR 12,000 → 1.2 %
    WorkspaceFactory(company=large, mrr=Decimal("1000"))  # ARR 24,000 in total → 2.4 %


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("", ["Alpha", "Bravo", "Charlie"]),
        ("name", ["Alpha", "Bravo", "Charlie"]),
        ("-name", ["Charlie", "Bravo", "Alpha"]),
        ("arr", ["Alpha", "Bravo", "Charlie"]),
        ("-arr", ["Charlie", "Bravo", "Alpha"]),
        ("-penetration", ["Bravo", "Charlie", "Alpha"]),  # unknown potential last
        ("penetration", ["Charlie", "Bravo", "Alpha"]),  # …in both directions
        ("-potential", ["Charlie", "Bravo", "Alpha"]),
    ],
)
def test_sorting_orders_rows(rep_client, three_companies, sort, expected):
    response = rep_client.get(LIST, {"sort": sort} if sort else {})
    assert names(response) == expected
    assert html_order(response, "Alpha", "Bravo", "Charlie") == expected


def test_sort_header_toggles_direction_and_keeps_filters(rep_client, three_companies):
    content = rep_client.get(LIST, {"q": "a", "sort": "-arr", "page": "1"}).content.decode()
    arr_header = re.search(r'<th scope="col" class="num" aria-sort="descending"><a class="sort sorted" href="([^"]+)"', content)
    assert arr_header, "the ARR column shows it is sorted descending"
    assert arr_header.group(1) == "?q=a&amp;sort=arr"  # flips to ascending, keeps the search, back to page 1
    # An unsorted numeric column sorts largest first on the first click.
    assert 'href="?q=a&amp;sort=-users"' in content


def test_list_shows_money_and_penetration(rep_client, three_companies):
    content = rep_client.get(LIST).content.decode()
    assert "$24,000" in content and "$1,000,000" in content
    assert ">2.4%<" in content and ">60%<" in content


@pytest.mark.parametrize(
    "value, expected",
    [(None, "—"), (0, "0%"), (0.00003, "<0.1%"), (0.0345, "3.5%"), (0.125, "13%"), (0.5, "50%"), (1.234, "123%"), (12, "1,200%")],
)
def test_percent_format(value, expected):
    from revops.templatetags.revops_tags import percent

    assert percent(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [(None, "—"), (Decimal("950.4"), "$950"), (Decimal("950.5"), "$951"), (Decimal("12345"), "$12.3K"), (Decimal("4500000"), "$4.5M"),
     (Decimal("250000"), "$250K"), (Decimal("1000000"), "$1M"), (Decimal("-2500"), "-$2.5K")],
)
def test_money_short_format(value, expected):
    from revops.templatetags.revops_tags import money_short

    assert money_short(value) == expected


# --- list: pagination, htmx, query count -------------------------------------------------------


def test_pagination_keeps_filters_and_shows_the_range(rep_client):
    for i in range(55):
        CompanyFactory(name=f"Ent {i:02d}", tier=Company.Tier.ENTERPRISE)
    CompanyFactory(name="Small one", tier=Company.Tier.SMB)

    first = rep_client.get(LIST, {"tier": "enterprise"})
    content = first.content.decode()
    assert len(names(first)) == 50
    assert "<strong>55</strong> accounts" in content
    assert "Showing 1–50" in content
    assert 'href="?tier=enterprise&amp;page=2"' in content

    second = rep_client.get(LIST, {"tier": "enterprise", "page": "2"})
    assert names(second) == [f"Ent {i:02d}" for i in range(50, 55)]
    assert "Showing 51–55" in second.content.decode()
    assert 'href="?tier=enterprise&amp;page=1"' in second.content.decode()


def test_out_of_range_page_shows_the_last_page(rep_client):
    CompanyFactory(name="Only")
    assert names(rep_client.get(LIST, {"page": "99"})) == ["Only"]
    assert names(rep_client.get(LIST, {"page": "abc"})) == ["Only"]


def test_htmx_search_returns_only_the_results_block(rep_client):
    CompanyFactory(name="Hooli")
    CompanyFactory(name="Pied Piper")

    response = rep_client.get(LIST, {"q": "hoo", "sort": "-arr"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")

    content = response.content.decode()
    assert response.status_code == 200
    assert names(response) == ["Hooli"]
    assert "<html" not in content and "topbar" not in content and 'name="q"' not in content
    assert '<div id="results"' in content
    # The form's hidden sort field follows along, so typing next keeps the chosen order.
    assert '<input type="hidden" name="sort" id="id_sort" value="-arr" hx-swap-oob="true">' in content
    assert "HX-Request" in response["Vary"]


def test_full_page_for_htmx_history_restore(rep_client):
    CompanyFactory(name="Hooli")
    response = rep_client.get(
        LIST, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


def test_list_query_count_does_not_grow_with_rows(rep_client, rep):
    def build(n: int):
        for _ in range(n):
            company = CompanyFactory(owner=rep, parent=CompanyFactory())
            workspace = WorkspaceFactory(company=company)
            WorkspaceMembershipFactory(workspace=workspace, user=ProductUserFactory(company=company))

    build(2)
    rep_client.get(LIST)  # warm up session and content types
    with CaptureQueriesContext(connection) as few:
        rep_client.get(LIST, {"sort": "-arr"})
    build(20)
    with CaptureQueriesContext(connection) as many:
        response = rep_client.get(LIST, {"sort": "-arr"})
    assert len(names(response)) == 44
    assert len(many) == len(few)


def test_list_page_runs_a_bounded_number_of_queries(rep_client, django_assert_max_num_queries):
    ResolutionSettings.load()
    for _ in range(30):
        WorkspaceFactory(company=CompanyFactory(parent=CompanyFactory()))
    # session, user, groups, resolution settings (small-deal thresholds), count, the page's ids, its
    # rows, the roll-ups of the page's rows (one query for all of them), and the three filter-option lists
    with django_assert_max_num_queries(11):
        rep_client.get(LIST, {"q": "company", "has_workspaces": "true", "sort": "-users"})


# --- list: empty states -------------------------------------------------------------------------


def test_no_match_says_so_and_offers_to_clear(rep_client):
    CompanyFactory(name="Acme")
    content = rep_client.get(LIST, {"q": "xyz"}).content.decode()
    assert "No accounts match “xyz”" in content
    assert 'href="/accounts/">Clear filters</a>' in content


def test_empty_database_points_admin_to_imports(admin_client):
    content = admin_client.get(LIST).content.decode()
    assert "No accounts yet" in content
    assert 'href="/imports/">Import companies</a>' in content
    assert "make demo" in content


def test_empty_database_tells_rep_without_import_link(rep_client):
    content = rep_client.get(LIST).content.decode()
    assert "No accounts yet" in content
    assert "Import companies" not in content


# --- account page -------------------------------------------------------------------------------


@pytest.fixture
def hierarchy(rep):
    rep.first_name, rep.last_name = "Ravi", "Shah"
    rep.save()
    root = CompanyFactory(name="Acme Holdings", external_id="SF-ROOT")
    middle = CompanyFactory(name="Acme Europe", parent=root)
    company = CompanyFactory(
        name="Acme UK",
        external_id="SF-UK-1",
        parent=middle,
        owner=rep,
        tier=Company.Tier.ENTERPRISE,
        country="GB",
        industry="Manufacturing",
        employee_count=4200,
        potential_arr=Decimal("200000"),
    )
    child = CompanyFactory(name="Acme Scotland", parent=company)
    WorkspaceFactory(company=child, mrr=Decimal("100"))
    CompanyDomainFactory(company=company, domain="acme.co.uk")
    CompanyDomainFactory(company=company, domain="acme-uk.com")
    design = WorkspaceFactory(
        company=company, name="Acme Design", plan="business", seats=25, mrr=Decimal("1000"),
        created_at=datetime(2024, 3, 5, tzinfo=timezone.utc),
    )
    WorkspaceFactory(company=company, name="Acme Data", status="trial", seats=5, mrr=Decimal("500"))
    person = ProductUserFactory(
        company=company, email="jane@acme.co.uk", name="Jane Doe", title="VP Engineering",
        last_active_at=datetime(2025, 6, 1, tzinfo=timezone.utc),
    )
    WorkspaceMembershipFactory(user=person, workspace=design)
    UsageRecordFactory(workspace=design, period=months_ago(2), amount=Decimal("1234.00"))
    UsageRecordFactory(workspace=design, period=months_ago(1), amount=Decimal("2000.00"))
    UsageRecordFactory(workspace=None, company=company, period=months_ago(1), metric="storage", amount=Decimal("10"))
    UsageRecordFactory(workspace=design, period=months_ago(30), amount=Decimal("999999"))  # outside 24 months
    return {"root": root, "middle": middle, "company": company, "child": child}


def test_account_page_shows_header_and_stats(rep_client, hierarchy):
    company = hierarchy["company"]
    response = rep_client.get(f"/accounts/{company.pk}/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Acme UK" in content and "Enterprise</span>" in content
    assert "SF-UK-1" in content and "Manufacturing" in content and "4,200" in content and "GB" in content
    assert "Owner</span> Ravi Shah" in content
    assert "$18,000" in content  # ARR: (1000 + 500) × 12
    assert "$1,500" in content  # MRR
    assert "$200,000" in content  # potential
    assert ">9%<" in content  # 18,000 ÷ 200,000
    assert ">30<" in content  # seats


def test_account_page_shows_breadcrumb_root_first(rep_client, hierarchy):
    content = rep_client.get(f"/accounts/{hierarchy['company'].pk}/").content.decode()
    crumb = content[content.index('class="breadcrumb"') : content.index("</nav>", content.index('class="breadcrumb"'))]
    root, middle = hierarchy["root"], hierarchy["middle"]
    assert crumb.index(">Accounts<") < crumb.index(f'href="/accounts/{root.pk}/">Acme Holdings') < crumb.index(
        f'href="/accounts/{middle.pk}/">Acme Europe'
    ) < crumb.index('aria-current="page">Acme UK')


def test_account_page_lists_children_domains_workspaces_and_users(rep_client, hierarchy):
    content = rep_client.get(f"/accounts/{hierarchy['company'].pk}/").content.decode()
    child = hierarchy["child"]
    assert f'href="/accounts/{child.pk}/">Acme Scotland</a>' in content
    assert "$1,200" in content  # the child's ARR
    assert "acme.co.uk" in content and "acme-uk.com" in content
    assert "Acme Design" in content and "Acme Data" in content
    assert "Business" in content and "Trial</span>" in content and "Mar 5, 2024" in content
    assert "jane@acme.co.uk" in content and "Jane Doe" in content and "VP Engineering" in content
    assert "Jun 1, 2025" in content
    # Workspaces are listed biggest first.
    assert content.index("Acme Design") < content.index("Acme Data")


def test_account_page_draws_usage_chart_of_last_24_months(rep_client, hierarchy):
    content = rep_client.get(f"/accounts/{hierarchy['company'].pk}/").content.decode()
    assert ">Monthly usage amount</text>" in content and ">Usage amount</text>" in content
    assert f"<title>{months_ago(1):%B %Y}: $2,010</title>" in content  # workspace + company usage
    assert f"<title>{months_ago(2):%B %Y}: $1,234</title>" in content
    assert "$999,999" not in content  # older than 24 months
    # Two drawings of the same data (wide, and narrow for phones), two months with usage each.
    assert '<svg class="chart chart-wide"' in content and '<svg class="chart chart-compact"' in content
    assert content.count('<g class="bar') == 4


def test_account_without_usage_shows_empty_chart_state(rep_client):
    company = CompanyFactory()
    content = rep_client.get(f"/accounts/{company.pk}/").content.decode()
    assert "No usage in the last 24 months" in content
    assert '<svg class="chart' not in content
    assert "No workspaces are tied to this company yet." in content


def test_account_page_shows_first_50_users_and_counts_the_rest(rep_client):
    company = CompanyFactory()
    for i in range(53):
        ProductUserFactory(company=company, email=f"p{i:02d}@big.example")
    content = rep_client.get(f"/accounts/{company.pk}/").content.decode()
    assert content.count("@big.example</td>") == 50
    assert "3 more users not shown." in content


ACCOUNT_PAGE_QUERIES = 20


def test_account_page_query_count_is_bounded(rep_client, hierarchy, django_assert_max_num_queries):
    company = hierarchy["company"]
    for i in range(10):
        workspace = WorkspaceFactory(company=company)
        WorkspaceMembershipFactory(workspace=workspace, user=ProductUserFactory(company=company))
        CompanyFactory(parent=company)
    ResolutionSettings.load()
    # session, user, company, resolution settings (3 on first use), ancestors (one CTE), the whole
    # tree (one query), domains, workspaces, users + their workspaces, usage: 12; then the panels of
    # the other areas: groups and profile (permissions), stakeholders, interactions, contracts,
    # opportunities, the latest forecast run, plays: 8 — however many rows there are.
    with django_assert_max_num_queries(ACCOUNT_PAGE_QUERIES):
        rep_client.get(f"/accounts/{company.pk}/")


def test_missing_account_is_a_styled_404(rep_client):
    response = rep_client.get("/accounts/987654/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "We couldn't find that page" in content
    assert 'class="topbar"' in content


def test_server_error_page_is_static_and_friendly():
    content = render_to_string("500.html")
    assert "Something went wrong on our side" in content
    assert "Traceback" not in content and "{%" not in content


# --- escaping ------------------------------------------------------------------------------------


def test_user_entered_text_is_escaped(rep_client):
    evil = CompanyFactory(name="<script>alert(1)</script>", industry="<b>bold</b>")
    CompanyDomainFactory(company=evil, domain="evil.example")

    for response in (
        rep_client.get(LIST),
        rep_client.get(LIST, {"q": "<script>"}),
        rep_client.get(LIST, {"q": "<img src=x onerror=alert(2)>"}),
        rep_client.get(f"/accounts/{evil.pk}/"),
    ):
        content = response.content.decode()
        assert "<script>alert(1)</script>" not in content
        assert "<img src=x" not in content and "<b>bold</b>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rep_client.get(LIST).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rep_client.get(f"/accounts/{evil.pk}/").content.decode()


def test_other_users_own_names_are_escaped_in_owner_filter(rep_client):
    sneaky = UserFactory(username="sneaky", first_name="<i>Eve</i>", last_name="")
    CompanyFactory(owner=sneaky)
    content = rep_client.get(LIST).content.decode()
    assert "<i>Eve</i>" not in content and "&lt;i&gt;Eve&lt;/i&gt;" in content
