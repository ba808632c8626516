"""Penetration and the "small deal at a big company" flag: the rule at its boundaries, in SQL
(per row and set-based) and in Python (the account page), and where users see it."""
from decimal import Decimal

import pytest

from accounts.models import Company, ResolutionSettings
from accounts.selectors import (
    company_annotate_penetration,
    company_attach_penetration,
    company_hierarchy,
    company_small_deal_ids,
)
from tests.accounts.hierarchy_data import build_group
from tests.factories import CompanyFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

# name: (potential, mrr or None for no workspace); defaults: under 10 % and potential ≥ 100,000
CASES = {
    "exactly 10 %": (Decimal("120000"), Decimal("1000")),  # ARR 12,000: not under 10 %
    "just under 10 %": (Decimal("120000"), Decimal("999.99")),  # ARR 11,999.88
    "potential at the minimum": (Decimal("100000"), Decimal("1")),
    "potential just below": (Decimal("99999.99"), Decimal("1")),
    "no deal yet": (Decimal("1000000"), None),
    "potential unknown": (None, Decimal("100")),
}
SMALL_BY_DEFAULT = {"just under 10 %", "potential at the minimum"}


@pytest.fixture
def cases():
    for name, (potential, mrr) in CASES.items():
        company = CompanyFactory(name=name, potential_arr=potential)
        if mrr is not None:
            WorkspaceFactory(company=company, mrr=mrr)


def flagged_three_ways(settings: ResolutionSettings) -> tuple[set, set, set]:
    annotated = company_annotate_penetration(Company.objects.all(), settings=settings)
    per_row = set(annotated.filter(small_deal=True).values_list("name", flat=True))
    page = company_attach_penetration(list(Company.objects.all()), settings=settings)  # the account list's way
    assert {c.name for c in page if c.small_deal} == per_row
    set_based = set(Company.objects.filter(pk__in=company_small_deal_ids(settings=settings)).values_list("name", flat=True))
    python = set()
    for company in Company.objects.filter(parent__isnull=True):
        hierarchy = company_hierarchy(company=company)
        python |= {n.company.name for n in hierarchy.nodes.values() if n.small_deal(settings)}
    return per_row, set_based, python


def test_small_deal_boundaries_with_default_thresholds(cases):
    per_row, set_based, python = flagged_three_ways(ResolutionSettings.load())
    assert per_row == set_based == python == SMALL_BY_DEFAULT


def test_thresholds_come_from_the_settings(cases):
    settings = ResolutionSettings.load()
    settings.small_deal_penetration = Decimal("0.2000")
    settings.small_deal_min_potential = Decimal("99999.99")
    settings.save()
    per_row, set_based, python = flagged_three_ways(ResolutionSettings.load())
    assert per_row == set_based == python == {"exactly 10 %", "just under 10 %", "potential at the minimum", "potential just below"}


def test_penetration_and_unclosed_potential_are_rolled_up():
    group = build_group()
    rows = {c.name: c for c in company_annotate_penetration(Company.objects.all())}
    assert rows["Holdings"].rollup_penetration == pytest.approx(0.0462)
    assert rows["Holdings"].unclosed_potential == Decimal("953800")
    assert rows["Europe"].rollup_penetration == pytest.approx(0.07)
    assert rows["UK"].rollup_penetration is None and rows["UK"].unclosed_potential is None
    assert {name for name, c in rows.items() if c.small_deal} == {"Holdings", "Europe", "DE"}
    assert group["holdings"].pk in Company.objects.filter(pk__in=company_small_deal_ids()).values_list("pk", flat=True)


def test_a_page_of_rows_gets_the_same_rolled_up_figures_in_one_query(django_assert_num_queries):
    """The account list attaches the roll-ups to a page of fetched rows at once; same figures as the
    per-row annotations, whatever the depth, for every company of the group and one outside it."""
    build_group()
    CompanyFactory(name="Loner", potential_arr=Decimal("5000"))
    WorkspaceFactory(company=Company.objects.get(name="Loner"), mrr=Decimal("12.34"))
    expected = {c.pk: c for c in company_annotate_penetration(Company.objects.all())}
    rows = list(Company.objects.all())
    settings = ResolutionSettings.load()
    with django_assert_num_queries(1):
        company_attach_penetration(rows, settings=settings)
    fields = ("rollup_mrr", "rollup_arr", "rollup_potential", "subsidiary_count", "unclosed_potential", "small_deal")
    for row in rows:
        want = expected[row.pk]
        assert {f: getattr(row, f) for f in fields} == {f: getattr(want, f) for f in fields}, row.name
        assert row.rollup_penetration == pytest.approx(want.rollup_penetration)
    assert company_attach_penetration([], settings=settings) == []


def test_account_list_filters_small_deals_and_shows_the_badge(rep_client):
    build_group()
    CompanyFactory(name="Whitespace", potential_arr=Decimal("900000"))

    response = rep_client.get("/accounts/", {"small_deal": "true"})

    assert [c.name for c in response.context["companies"]] == ["DE", "Europe", "Holdings"]
    content = response.content.decode()
    assert "Small deal · 4.6% of potential — $954K unclosed (with 4 subsidiaries)" in content  # Holdings
    assert 'name="small_deal" value="true" checked' in content
    others = [c.name for c in rep_client.get("/accounts/", {"small_deal": "false"}).context["companies"]]
    assert others == ["Americas", "UK", "Whitespace"]


def test_account_list_without_filter_badges_only_small_deals(rep_client):
    build_group()
    content = rep_client.get("/accounts/").content.decode()
    assert content.count("of potential — ") == 3


def test_account_page_flags_the_small_deal(rep_client):
    group = build_group()
    content = rep_client.get(f"/accounts/{group['europe'].pk}/").content.decode()
    assert "Small deal at a big company" in content
    assert "7% of potential — <strong>$279K unclosed</strong> across Europe and its subsidiaries" in content
    uk = rep_client.get(f"/accounts/{group['uk'].pk}/").content.decode()
    assert "Small deal at a big company" not in uk


def test_api_filters_small_deals_too(admin_client):
    build_group()
    response = admin_client.get("/api/v1/companies/", {"small_deal": "true"})
    assert response.status_code == 200
    assert sorted(row["name"] for row in response.json()["results"]) == ["DE", "Europe", "Holdings"]
