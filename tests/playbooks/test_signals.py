"""Signals: validation names the broken condition; evaluation of every operator against hand-computed sets."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from playbooks.signals import signal_count, signal_evaluate, signal_validate
from tests.factories import CompanyFactory, ProductUserFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def cond(metric, operator, value=None, **extra):
    node = {"metric": metric, "operator": operator, **extra}
    if value is not None:
        node["value"] = value
    return {"match": "all", "conditions": [node]}


def names(signal) -> set[str]:
    return set(signal_evaluate(signal, now=NOW).queryset.values_list("name", flat=True))


@pytest.fixture
def five(db):
    """A–E with 1, 2, 3, 0, 4 workspaces (each $100 MRR, 10 seats), all 500 employees (one size band)."""
    owner = UserFactory(username="olga.owner")
    companies = {}
    spec = {"A": (1, "Software", "smb"), "B": (2, "Retail", "mid_market"), "C": (3, "Software", "enterprise"),
            "D": (0, "Banking", "enterprise"), "E": (4, "Retail", "")}
    for name, (count, industry, tier) in spec.items():
        company = CompanyFactory(name=name, industry=industry, tier=tier, employee_count=500,
                                 potential_arr=Decimal("100000"), owner=owner if name in "AC" else None)
        for i in range(count):
            WorkspaceFactory(company=company, mrr=Decimal("100"), seats=10,
                             created_at=NOW - timedelta(days=5 + 20 * ("ABCDE".index(name)) + i))
        companies[name] = company
    return companies


# --- validation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signal", "message"),
    [
        (cond("no_such_metric", "eq", 1), "Condition 1: unknown metric 'no_such_metric'."),
        (cond("industry", "gt", "Retail"), "Condition 1 (Industry): the operator “>” does not fit a text metric"),
        (cond("workspace_count", "gte", "many"), "Condition 1 (Workspaces): the value 'many' is not a number."),
        (cond("tier", "eq", "huge"), "Condition 1 (Tier): the value must be one of"),
        (cond("mrr", "between", [500, 100]), "Condition 1 (MRR): the low value 500 is above the high value 100."),
        (cond("mrr", "above_percentile", 150), "Condition 1 (MRR): the percentile must be a whole number from 1 to 99."),
        (cond("newest_workspace", "within_days", 0), "Condition 1 (Newest workspace created): the number of days"),
        (cond("usage_growth", "gt", 5, params={"months": 40}), "Condition 1 (Usage growth): months must be"),
        ({"match": "all", "conditions": []}, "The signal is empty: add at least one condition."),
        ({"match": "all", "conditions": [{"metric": "seats", "operator": "gt", "value": 1},
                                         {"match": "any", "conditions": []}]},
         "Group 2 is empty: add at least one condition."),
        ({"match": "any", "conditions": [{"metric": "seats", "operator": "gt", "value": 1},
                                         {"match": "all", "conditions": [{"metric": "owner", "operator": "eq",
                                                                          "value": True}]}]},
         "Condition 2.1 (Owner): the value must be a user id."),
        ({"match": "xor", "conditions": [{"metric": "seats", "operator": "gt", "value": 1}]}, "“match” must be"),
    ],
)
def test_invalid_signals_are_refused_naming_the_condition(signal, message):
    with pytest.raises(ValidationError) as caught:
        signal_validate(signal)
    assert any(message in text for text in caught.value.messages), caught.value.messages


def test_unknown_user_id_is_named():
    with pytest.raises(ValidationError) as caught:
        signal_validate(cond("owner", "in", [999999]))
    assert caught.value.messages == ["Condition 1 (Owner): no user with id 999999."]


def test_validation_normalises_numbers_and_fills_parameters():
    clean = signal_validate({"metric": "usage_growth", "operator": "gt", "value": "12.0"})
    assert clean == {"match": "all", "conditions": [
        {"metric": "usage_growth", "operator": "gt", "value": 12, "params": {"months": 3}}]}


def test_signal_is_never_code():
    with pytest.raises(ValidationError):
        signal_validate({"metric": "workspace_count", "operator": "gte", "value": "__import__('os')"})
    with pytest.raises(ValidationError):
        signal_validate({"metric": "workspace_count", "operator": "gte", "value": 1, "sql": "1=1"})


# --- evaluation: each operator ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("eq", 2, {"B"}),
        ("ne", 2, {"A", "C", "D", "E"}),
        ("gt", 2, {"C", "E"}),
        ("gte", 2, {"B", "C", "E"}),
        ("lt", 2, {"A", "D"}),
        ("lte", 2, {"A", "B", "D"}),
        ("in", [1, 3], {"A", "C"}),
        ("between", [1, 3], {"A", "B", "C"}),
        ("above_average", None, {"C", "E"}),  # counts 1, 2, 3, 0, 4: average 2
        ("above_percentile", 50, {"C", "E"}),  # median of 0…4 is 2
        ("above_percentile", 90, {"E"}),  # 0.9 × 4 = 3.6 → 3 + 0.6 × (4 − 3) = 3.6
    ],
)
def test_number_operators(five, operator, value, expected):
    assert names(cond("workspace_count", operator, value)) == expected


def test_percentile_threshold_costs_one_extra_query_not_one_per_company(five, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # the threshold aggregate, then the matches
        evaluation = signal_evaluate(cond("mrr", "above_percentile", 50), now=NOW)
        rows = evaluation.rows()
    assert {r["pk"] for r in rows} == {five["C"].pk, five["E"].pk}  # MRR 100…400 by workspaces; median 200


def test_money_and_percent_operators(five):
    assert names(cond("mrr", "gte", 300)) == {"C", "E"}
    assert names(cond("arr", "between", [2400, 3600])) == {"B", "C"}
    # penetration: ARR (MRR × 12) ÷ potential 100,000 → A 1.2 %, B 2.4 %, C 3.6 %, D 0 %, E 4.8 %
    assert names(cond("penetration", "lt", 2.4)) == {"A", "D"}
    assert names(cond("penetration", "above_average", None)) == {"C", "E"}  # average 2.4


def test_unknown_values_never_match_comparisons(five):
    five["A"].potential_arr = None
    five["A"].save()
    assert "A" not in names(cond("penetration", "lt", 50))
    assert "A" not in names(cond("penetration", "ne", 3.6))


def test_text_choice_user_and_team_operators(five):
    owner = five["A"].owner
    assert names(cond("industry", "eq", "Software")) == {"A", "C"}
    assert names(cond("industry", "ne", "Software")) == {"B", "D", "E"}
    assert names(cond("industry", "in", ["Retail", "Banking"])) == {"B", "D", "E"}
    assert names(cond("tier", "in", ["enterprise", ""])) == {"C", "D", "E"}
    assert names(cond("owner", "eq", owner.pk)) == {"A", "C"}
    assert names(cond("owner", "ne", owner.pk)) == set()  # the others have no owner: unknown


def test_within_the_last_n_days(five):
    # newest workspace: A 5 days ago, B 26, C 47, E 89 (D has none)
    assert names(cond("newest_workspace", "within_days", 30)) == {"A", "B"}
    assert names(cond("newest_workspace", "within_days", 5)) == {"A"}


def test_size_band_percentile_rank(five):
    # the band's companies with workspaces have 1, 2, 3, 4 → ranks 25, 50, 75, 100; D has none
    assert names(cond("workspace_rank", "gte", 75)) == {"C", "E"}
    assert names(cond("workspace_rank", "lt", 50)) == {"A"}
    assert names(cond("workspace_rank", "between", [50, 75])) == {"B", "C"}
    evaluation = signal_evaluate(cond("workspace_rank", "eq", 100), now=NOW)
    rows = evaluation.rows()
    assert [evaluation.why(r)[0]["text"] for r in rows] == ["100th percentile of its size band"]


def test_days_since_contact_counts_never_as_longest(five):
    from stakeholders.models import Interaction

    Interaction.objects.create(company=five["A"], occurred_at=NOW - timedelta(days=3))
    Interaction.objects.create(company=five["B"], occurred_at=NOW - timedelta(days=45))
    assert names(cond("days_since_contact", "gt", 30)) == {"B", "C", "D", "E"}  # C, D, E never contacted
    assert names(cond("days_since_contact", "lte", 3)) == {"A"}
    assert names(cond("days_since_contact", "eq", 45)) == {"B"}
    assert names(cond("days_since_contact", "between", [2, 10])) == {"A"}
    assert names(cond("last_contact", "within_days", 30)) == {"A"}


def test_and_or_groups(five):
    signal = {"match": "any", "conditions": [
        {"metric": "workspace_count", "operator": "gte", "value": 4},
        {"match": "all", "conditions": [
            {"metric": "industry", "operator": "eq", "value": "Software"},
            {"metric": "workspace_count", "operator": "lt", "value": 2},
        ]},
    ]}
    assert names(signal) == {"E", "A"}
    assert signal_count(signal, now=NOW) == 2


def test_active_users_and_usage_growth(five):
    from accounts.models import UsageRecord

    ProductUserFactory(company=five["A"], last_active_at=NOW - timedelta(days=2))
    ProductUserFactory(company=five["A"], last_active_at=NOW - timedelta(days=60))
    assert names(cond("active_users", "eq", 1)) == {"A"}
    ws = five["B"].workspaces.first()
    # last 3 complete months before March 2026: Dec–Feb; the 3 before: Sep–Nov
    for period, amount in (("2025-10-01", "100"), ("2026-01-01", "150")):
        UsageRecord.objects.create(workspace=ws, period=period, metric="credits", amount=Decimal(amount))
    evaluation = signal_evaluate(cond("usage_growth", "gt", 40, params={"months": 3}), now=NOW)
    rows = evaluation.rows()
    assert [r["pk"] for r in rows] == [five["B"].pk]
    assert evaluation.why(rows[0])[0]["text"] == "+50% usage growth (3 mo)"


def test_why_reads_like_a_sentence(five):
    evaluation = signal_evaluate(cond("workspace_count", "gte", 4), now=NOW, context_metrics=["seats", "mrr"])
    (row,) = evaluation.rows()
    assert [item["text"] for item in evaluation.why(row)] == ["4 workspaces", "40 seats", "$400 MRR"]


def test_evaluation_is_one_query_whatever_the_number_of_companies(five, django_assert_num_queries):
    for i in range(30):
        WorkspaceFactory(company=CompanyFactory(name=f"X{i}"))
    signal = {"match": "all", "conditions": [
        {"metric": "workspace_count", "operator": "gte", "value": 1},
        {"metric": "mrr", "operator": "lt", "value": 1000},
        {"metric": "tier", "operator": "ne", "value": "smb"},
    ]}
    with django_assert_num_queries(1):
        rows = signal_evaluate(signal, now=NOW).rows()
    assert len(rows) == 30 + 3  # B, C, E and the 30 new mid-market companies
