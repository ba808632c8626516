"""Roll-ups over whole subtrees: the set-based annotator and the account page agree with hand-made sums."""
from decimal import Decimal

import pytest

from accounts.models import Company
from accounts.selectors import company_annotate_rollups, company_hierarchy
from tests.accounts.hierarchy_data import build_chain, build_group
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

# name: (mrr, arr, seats, workspaces, users, active users, potential, companies below)
EXPECTED = {
    "UK": (Decimal("1500"), Decimal("18000"), 30, 2, 3, 2, None, 0),
    "DE": (Decimal("250"), Decimal("3000"), 5, 1, 1, 0, Decimal("200000"), 0),
    "Europe": (Decimal("1750"), Decimal("21000"), 35, 3, 4, 2, Decimal("300000"), 2),
    "Americas": (Decimal("2000"), Decimal("24000"), 40, 1, 0, 0, None, 0),
    # Own potential 1,000,000 is larger than the 500,000 set below it: the group figure wins.
    "Holdings": (Decimal("3850"), Decimal("46200"), 77, 5, 5, 3, Decimal("1000000"), 4),
}


def test_annotator_rolls_up_every_subtree_of_a_three_level_group():
    group = build_group()
    CompanyFactory(name="Standalone", potential_arr=Decimal("5000"))

    rows = {c.name: c for c in company_annotate_rollups(Company.objects.all())}

    for name, (mrr, arr, seats, workspaces, users, active, potential, below) in EXPECTED.items():
        c = rows[name]
        assert (c.rollup_mrr, c.rollup_arr, c.rollup_seats) == (mrr, arr, seats), name
        assert (c.rollup_workspace_count, c.rollup_user_count, c.rollup_active_user_count) == (workspaces, users, active), name
        assert (c.rollup_potential, c.subsidiary_count) == (potential, below), name
        assert c.ultimate_parent_id == group["holdings"].pk, name
    standalone = rows["Standalone"]
    assert standalone.ultimate_parent_id == standalone.pk
    assert (standalone.rollup_mrr, standalone.rollup_workspace_count, standalone.rollup_potential) == (0, 0, Decimal("5000"))


def test_account_page_tree_rolls_up_the_same_numbers_in_python():
    group = build_group()
    hierarchy = company_hierarchy(company=group["de"])
    for name, (mrr, arr, seats, workspaces, users, active, potential, below) in EXPECTED.items():
        node = next(n for n in hierarchy.nodes.values() if n.company.name == name)
        assert (node.mrr, node.arr, node.seats, node.workspace_count) == (mrr, arr, seats, workspaces), name
        assert (node.user_count, node.active_user_count, node.potential, node.descendant_count) == (
            users, active, potential, below
        ), name
    assert hierarchy.root.company == group["holdings"]
    assert [a.name for a in hierarchy.ancestors] == ["Holdings", "Europe"]
    assert hierarchy.current.company == group["de"] and hierarchy.size == 5


def test_subsidiaries_potential_wins_when_larger_than_the_parents_own():
    parent = CompanyFactory(potential_arr=Decimal("100000"))
    CompanyFactory(parent=parent, potential_arr=Decimal("80000"))
    CompanyFactory(parent=parent, potential_arr=Decimal("70000"))
    only_children = CompanyFactory(potential_arr=None)
    CompanyFactory(parent=only_children, potential_arr=Decimal("40000"))

    rows = {c.pk: c for c in company_annotate_rollups(Company.objects.all(), fields=["potential"])}

    assert rows[parent.pk].rollup_potential == Decimal("150000")
    assert rows[only_children.pk].rollup_potential == Decimal("40000")


def test_rollups_compose_with_filters_and_ordering():
    group = build_group()
    qs = company_annotate_rollups(Company.objects.all()).filter(rollup_workspace_count__gte=2).order_by("-rollup_arr")
    assert [c.name for c in qs] == ["Holdings", "Europe", "UK"]
    assert group["holdings"].pk == qs.first().pk


def test_deep_chain_rolls_up_to_the_top_and_finds_its_ultimate_parent():
    chain = build_chain(60)
    rows = {c.pk: c for c in company_annotate_rollups(Company.objects.all(), fields=["mrr", "subsidiary_count", "ultimate_parent_id"])}
    top, bottom = rows[chain[0].pk], rows[chain[-1].pk]
    assert (top.rollup_mrr, top.subsidiary_count) == (Decimal("600"), 59)
    assert (bottom.rollup_mrr, bottom.subsidiary_count) == (Decimal("10"), 0)
    assert bottom.ultimate_parent_id == chain[0].pk

    hierarchy = company_hierarchy(company=chain[-1])
    assert len(hierarchy.ancestors) == 59 and hierarchy.root.arr == Decimal("7200")


def test_unknown_rollup_field_is_refused():
    with pytest.raises(ValueError, match="nonsense"):
        company_annotate_rollups(Company.objects.all(), fields=["nonsense"])
