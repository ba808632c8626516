"""Consolidation candidates: rolled up to the ultimate parent, "more than typical" per size band,
and the money — today's spend, one agreement, the customer's saving and our committed uplift."""
from decimal import Decimal

import pytest

from accounts.models import ResolutionSettings, Workspace
from accounts.selectors.consolidation import (
    ConsolidationFilters,
    consolidation_band_stats,
    consolidation_candidate_get,
    consolidation_candidates,
    percentile_cont,
    size_band,
)
from tests.factories import CompanyFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def group_with(workspaces: int, *, employees: int | None, name: str, spread: bool = False, **fields):
    """A root company with `workspaces` team-plan workspaces (10 seats, $120 a month each);
    `spread` puts all but the first on a subsidiary (whose own size does not matter)."""
    root = CompanyFactory(name=name, employee_count=employees, **fields)
    sub = CompanyFactory(name=f"{name} Sub", parent=root, employee_count=10) if spread else root
    for i in range(workspaces):
        WorkspaceFactory(company=root if i == 0 else sub, plan="team", seats=10, mrr=Decimal("120"))
    return root


@pytest.fixture
def bands():
    big = {n: group_with(n, employees=8000, name=f"Big {n}", spread=True) for n in (1, 2, 3, 10)}
    big["1b"] = group_with(1, employees=12000, name="Big 1b")
    CompanyFactory(name="Big without product", employee_count=9000)  # not part of the distribution
    small = [group_with(2, employees=20, name=f"Small {i}") for i in range(2)]
    unknown = group_with(3, employees=None, name="Unknown size")
    return {"big": big, "small": small, "unknown": unknown}


def test_percentile_cont_interpolates_like_postgresql():
    distribution = {1: 2, 2: 1, 3: 1, 10: 1}  # 1, 1, 2, 3, 10
    assert percentile_cont(distribution, 0.9) == pytest.approx(7.2)  # 3 + 0.6 × (10 − 3)
    assert percentile_cont(distribution, 0.5) == 2
    assert percentile_cont({4: 1}, 0.9) == 4


@pytest.mark.parametrize(
    "employees, band", [(None, "unknown"), (0, "unknown"), (1, "1-49"), (49, "1-49"), (50, "50-249"), (249, "50-249"),
                        (250, "250-999"), (999, "250-999"), (1000, "1000-4999"), (4999, "1000-4999"), (5000, "5000+")],
)
def test_size_band_boundaries(employees, band):
    assert size_band(employees) == band


def test_band_percentiles_on_hand_built_data(bands):
    stats = consolidation_band_stats(percentile=90)
    assert stats["5000+"].groups == 5 and stats["5000+"].typical == pytest.approx(7.2)
    assert stats["1-49"].groups == 2 and stats["1-49"].typical == pytest.approx(2)
    assert stats["unknown"].typical == pytest.approx(3)
    assert consolidation_band_stats(percentile=50)["5000+"].typical == pytest.approx(2)


def test_candidates_are_groups_with_two_or_more_workspaces_flagged_against_their_band(bands):
    candidates = {c.company.name: c for c in consolidation_candidates(filters=ConsolidationFilters(sort="name"))[0:50]}

    assert set(candidates) == {"Big 2", "Big 3", "Big 10", "Small 0", "Small 1", "Unknown size"}
    big = candidates["Big 10"]
    assert big.more_than_typical and big.band == "5000+" and big.typical == pytest.approx(7.2)
    assert (big.workspace_count, big.company_count, big.seats, big.mrr) == (10, 2, 100, Decimal("1200.00"))
    assert len(big.workspaces) == 10 and {line.workspace.company.name for line in big.workspaces} == {"Big 10", "Big 10 Sub"}
    assert not candidates["Big 3"].more_than_typical
    assert not candidates["Small 0"].more_than_typical  # 2 is the typical count of its band, not above it
    assert not candidates["Unknown size"].more_than_typical


def test_the_percentile_setting_moves_the_line(bands):
    settings = ResolutionSettings.load()
    settings.consolidation_percentile = 50
    settings.save()
    flagged = {c.company.name for c in consolidation_candidates(filters=ConsolidationFilters(more_than_typical=True))[0:50]}
    assert flagged == {"Big 3", "Big 10"}  # above the median of 2


def test_churned_workspaces_do_not_count():
    root = group_with(2, employees=100, name="Fading")
    Workspace.objects.filter(company=root).update(status=Workspace.Status.CHURNED)
    WorkspaceFactory(company=root)
    assert consolidation_candidate_get(company=root) is None


def test_filters_and_sorting(bands, rep, rep2):
    bands["big"][10].owner = rep
    bands["big"][10].save()
    bands["big"][3].owner = rep
    bands["big"][3].tier = "enterprise"
    bands["big"][3].save()

    def names(**filters):
        return [c.company.name for c in consolidation_candidates(filters=ConsolidationFilters(**filters))[0:50]]

    assert names(owner_id=rep.pk, sort="-workspaces") == ["Big 10", "Big 3"]
    assert names(owner_id=rep2.pk) == []
    assert names(tier="enterprise") == ["Big 3"]
    assert names(min_workspaces=3, sort="workspaces") == ["Big 3", "Unknown size", "Big 10"]
    assert names(q="small", sort="name") == ["Small 0", "Small 1"]
    assert names(sort="-seats")[0] == "Big 10"


# --- money -------------------------------------------------------------------------------------------


def two_workspaces(name: str, plan: str, seats: int, mrr: str):
    root = CompanyFactory(name=name, employee_count=3000)
    WorkspaceFactory(company=root, plan=plan, seats=seats, mrr=Decimal(mrr))
    WorkspaceFactory(company=CompanyFactory(parent=root), plan=plan, seats=seats, mrr=Decimal(mrr))
    return consolidation_candidate_get(company=root)


def test_self_serve_customer_would_pay_more_so_it_needs_an_incentive():
    c = two_workspaces("Teamish", "team", 10, "120")
    # Today: 2 × $120 a month = $2,880 a year, none of it committed.
    assert (c.current_arr, c.committed_arr) == (Decimal("2880.00"), Decimal("0.00"))
    # One agreement: 20 seats at list $49 = $980 a month, $11,760 a year.
    assert (c.quote.tier, c.quote.monthly, c.quote.annual) == (None, Decimal("980.00"), Decimal("11760.00"))
    assert c.saving == Decimal("-8880.00") and c.revenue_change == Decimal("8880.00")
    assert c.needs_incentive and c.verdict == "needs_incentive"
    assert c.committed_uplift == Decimal("11760.00")
    assert c.break_even_discount == pytest.approx(1 - 2880 / 11760)


def test_enterprise_customer_saves_at_volume_and_we_lose_some_committed_revenue():
    c = two_workspaces("Entish", "enterprise", 60, "2940")  # 60 seats at list $49 each, twice
    # 120 seats reach the 100+ tier: $44 × 120 = $5,280 a month, $63,360 a year.
    assert (c.quote.tier, c.quote.annual) == (100, Decimal("63360.00"))
    assert c.current_arr == c.committed_arr == Decimal("70560.00")
    assert c.saving == Decimal("7200.00") and c.verdict == "tangible" and not c.needs_incentive
    assert c.committed_uplift == Decimal("-7200.00")
    assert c.break_even_discount is None


def test_a_saving_above_a_quarter_of_todays_spend_puts_margin_at_risk():
    c = two_workspaces("Overpaying", "business", 50, "5000")  # $10,000 a month for 100 seats
    assert c.quote.annual == Decimal("52800.00")  # 100 × $44 × 12
    assert c.saving == Decimal("67200.00") and c.saving_share == pytest.approx(0.56)
    assert c.verdict == "margin_at_risk"


def test_no_saving_at_all_still_needs_an_incentive():
    c = two_workspaces("Even", "enterprise", 50, "2200")  # 100 seats at $44 = exactly the agreement
    assert c.saving == 0 and c.needs_incentive


def test_sorting_by_uplift_and_saving_uses_the_same_money_as_the_rows():
    for args in (("A", "team", 10, "120"), ("B", "enterprise", 60, "2940"), ("C", "business", 50, "5000")):
        two_workspaces(*args)
    by_uplift = consolidation_candidates(filters=ConsolidationFilters(sort="-uplift"))[0:10]
    assert [c.committed_uplift for c in by_uplift] == sorted((c.committed_uplift for c in by_uplift), reverse=True)
    by_saving = consolidation_candidates(filters=ConsolidationFilters(sort="saving"))[0:10]
    assert [c.company.name for c in by_saving] == ["A", "B", "C"]
