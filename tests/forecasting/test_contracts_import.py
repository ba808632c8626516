"""`import_data contracts` / `import_data opportunities`: line-numbered rejections with nothing of a bad
row written, company by external id, owner by username or email, idempotent by external_id."""
from datetime import date
from decimal import Decimal

import pytest

from accounts.services.imports import import_csv
from forecasting.models import Contract, Opportunity
from tests.accounts.test_import_helpers import run_import, write_csv
from tests.factories import CompanyFactory, UserFactory, WorkspaceFactory
from tests.forecasting.factories import ContractFactory, OpportunityFactory

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal
HEADER = ("external_id,company_external_id,kind,start_date,end_date,committed_amount,billing,included_units,"
          "overage_price,rollover_fraction,renewal_of_external_id,owner\n")


def lines(report):
    return {issue.line: issue.message for issue in report.errors}


@pytest.fixture
def acme(db):
    return CompanyFactory(external_id="ACME", owner=UserFactory(username="owner.one", email="owner@seller.example"))


def test_contracts_of_every_kind_load_with_owner_by_username_or_email(tmp_path, acme):
    rep = UserFactory(username="ravi", email="Ravi@Seller.example")
    path = write_csv(tmp_path, HEADER + (
        "K1,ACME,subscription,2025-01-01,2025-12-31,12000,,,,,,ravi\n"
        "K2,ACME,consumption,2025-01-01,2025-12-31,,,,,,,ravi@seller.example\n"
        "K3,ACME,commit,2025-01-01,2025-12-31,\"50,000\",postpaid,,0.02,25%,,\n"
        "K4,ACME,Hybrid (subscription plus overage),2025-02-15,2026-02-14,6000,,100000,0.01,,,\n"
        "K5,ACME,commit,2026-01-01,2026-12-31,60000,,,,0.5,K3,\n"
    ))
    report = import_csv(kind="contracts", source=path)
    assert report.errors == [] and report.created == 5
    k1, k3, k4, k5 = (Contract.objects.get(external_id=k) for k in ("K1", "K3", "K4", "K5"))
    assert k1.owner == rep and Contract.objects.get(external_id="K2").owner == rep
    assert k3.owner == acme.owner  # no owner column value: the account owner is credited
    assert (k3.billing, k3.committed_amount, k3.rollover_fraction) == ("postpaid", D("50000"), D("0.25"))
    assert (k4.kind, k4.included_units, k4.start_date) == ("hybrid", D("100000"), date(2025, 2, 15))
    assert k5.renewal_of == k3


def test_bad_rows_are_reported_by_line_and_not_written(tmp_path, acme):
    ContractFactory(company=acme, external_id="OLD", kind=Contract.Kind.COMMIT, committed_amount=D("50000"),
                    start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    path = write_csv(tmp_path, HEADER + (
        "B1,ACME,subscription,2025-06-01,2025-05-01,1200,,,,,,\n"  # line 2: end before start
        "B2,ACME,subscription,2025-01-01,2025-12-31,-5,,,,,,\n"  # line 3: negative
        "B3,NOPE,subscription,2025-01-01,2025-12-31,100,,,,,,\n"  # line 4: unknown company
        "B4,ACME,commit,2025-03-01,2026-02-28,50000,,,,,,\n"  # line 5: overlaps OLD (database)
        "B5,ACME,subscription,2025-01-01,2025-12-31,999,,,,,,\n"  # line 6: fine
        "B6,ACME,subscription,2025-04-01,2026-03-31,999,,,,,,\n"  # line 7: overlaps B5 (file)
        "B7,ACME,consumption,2025-01-01,2025-12-31,10,,,,,,\n"  # line 8: consumption with a commit
        "B8,ACME,barter,2025-01-01,2025-12-31,10,,,,,,\n"  # line 9: unknown kind
        "B9,ACME,commit,2026-01-01,2026-12-31,10,,,,,MISSING,\n"  # line 10: unknown renewal
        "B10,ACME,subscription,2025-01-01,2025-12-31,5,,,,2,,\n"  # line 11: rollover out of range
    ))
    report = import_csv(kind="contracts", source=path)
    errors = lines(report)
    assert sorted(errors) == [2, 3, 4, 5, 7, 8, 9, 10, 11]
    assert "end_date" in errors[2] and "before it starts" in errors[2]
    assert "committed_amount '-5' is negative" in errors[3]
    assert "unknown company 'NOPE'" in errors[4]
    assert "duplicate" in errors[5] and "'OLD' (the database)" in errors[5]
    assert "duplicate" in errors[7] and "'B5' (line 6)" in errors[7]
    assert "no committed amount" in errors[8]
    assert "kind 'barter' is not one of" in errors[9]
    assert "'MISSING' is neither in this file nor in the database" in errors[10]
    assert "rollover_fraction" in errors[11]
    assert set(Contract.objects.values_list("external_id", flat=True)) == {"OLD", "B5"}


def test_only_bad_rows_means_nothing_written_and_exit_code_2(tmp_path, acme):
    path = write_csv(tmp_path, HEADER + "B1,ACME,subscription,2025-06-01,2025-05-01,1200,,,,,,\n")
    code, output = run_import("contracts", path)
    assert code == 2
    assert "line 2:" in output and "before it starts" in output
    assert not Contract.objects.exists()


def test_reimport_is_idempotent_and_updates_by_external_id(tmp_path, acme):
    text = HEADER + "K1,ACME,subscription,2025-01-01,2025-12-31,12000,,,,,,\n"
    first = import_csv(kind="contracts", source=write_csv(tmp_path, text))
    contract = Contract.objects.get()
    stamp = contract.updated_at
    again = import_csv(kind="contracts", source=write_csv(tmp_path, text))
    assert (first.created, again.created, again.updated, again.unchanged) == (1, 0, 0, 1)
    contract.refresh_from_db()
    assert contract.updated_at == stamp
    changed = import_csv(kind="contracts", source=write_csv(tmp_path, text.replace("12000", "15000")))
    assert (changed.created, changed.updated) == (0, 1)
    assert Contract.objects.get().committed_amount == D("15000")  # not a duplicate of its own old version


def test_unknown_owner_is_a_warning_and_the_account_owner_is_credited(tmp_path, acme):
    path = write_csv(tmp_path, HEADER + "K1,ACME,subscription,2025-01-01,2025-12-31,100,,,,,,ghost@nowhere.example\n")
    report = import_csv(kind="contracts", source=path)
    assert report.created == 1 and "ghost@nowhere.example" in report.warnings[0].message
    assert Contract.objects.get().owner == acme.owner


OPP_HEADER = "external_id,company_external_id,name,amount,close_date,stage,type,probability,forecast_category,owner\n"


def test_opportunities_take_stage_defaults_and_the_owners_category(tmp_path, acme):
    UserFactory(username="ravi")
    path = write_csv(tmp_path, OPP_HEADER + (
        "O1,ACME,More seats,40000,2026-03-31,Proposal,expansion,,,ravi\n"
        "O2,ACME,Data team,25000,2026-05-31,discovery,Cross-sell,35%,commit,\n"
        "O3,ACME,Renewal,90000,2026-01-31,closed_won,renewal,,,\n"
    ))
    report = import_csv(kind="opportunities", source=path)
    assert report.errors == [] and report.created == 3
    o1, o2, o3 = (Opportunity.objects.get(external_id=k) for k in ("O1", "O2", "O3"))
    assert (o1.stage, o1.probability, o1.forecast_category, o1.owner.username) == ("proposal", D("0.6"), "best_case", "ravi")
    assert (o2.type, o2.probability, o2.forecast_category, o2.category_overridden) == ("cross_sell", D("0.35"), "commit", True)
    assert o2.owner == acme.owner
    assert (o3.probability, o3.forecast_category) == (D("1"), "closed_won")


def test_bad_opportunities_are_reported_by_line(tmp_path, acme):
    path = write_csv(tmp_path, OPP_HEADER + (
        "O1,ACME,Negative,-100,2026-03-31,,,,,\n"
        "O2,ACME,No date,100,,,,,,\n"
        "O3,ACME,Closed but commit,100,2026-03-31,closed_lost,,,commit,\n"
        "O4,ACME,Bad stage,100,2026-03-31,won-ish,,,,\n"
        "O5,GHOST,Unknown company,100,2026-03-31,,,,,\n"
        "O6,ACME,Fine,100,2026-03-31,,,,,\n"
    ))
    report = import_csv(kind="opportunities", source=path)
    errors = lines(report)
    assert sorted(errors) == [2, 3, 4, 5, 6]
    assert "amount '-100' is negative" in errors[2]
    assert "close_date is required" in errors[3]
    assert "forecast_category" in errors[4]
    assert "stage 'won-ish' is not one of" in errors[5]
    assert "unknown company 'GHOST'" in errors[6]
    assert list(Opportunity.objects.values_list("external_id", flat=True)) == ["O6"]


def test_reimport_without_categories_keeps_the_owners_override(tmp_path, acme):
    OpportunityFactory(company=acme, external_id="O1", stage="proposal", probability=D("0.6"),
                       forecast_category="commit", category_overridden=True)
    path = write_csv(tmp_path, "external_id,company_external_id,name,amount,close_date,stage\n"
                               "O1,ACME,Seats,40000,2026-03-31,negotiation\n")
    import_csv(kind="opportunities", source=path)
    opportunity = Opportunity.objects.get()
    assert (opportunity.stage, opportunity.forecast_category, opportunity.category_overridden) == (
        "negotiation", "commit", True)
    again = import_csv(kind="opportunities", source=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_usage_for_an_unknown_workspace_is_rejected_by_the_usage_import(tmp_path, acme):
    WorkspaceFactory(external_id="W1", company=acme)
    path = write_csv(tmp_path, "workspace_external_id,period,metric,quantity,amount\n"
                               "W1,2025-01,compute_credits,10,5\nW404,2025-01,compute_credits,10,5\n")
    report = import_csv(kind="usage", source=path)
    assert lines(report) == {3: "workspace_external_id: unknown workspace 'W404'"}
