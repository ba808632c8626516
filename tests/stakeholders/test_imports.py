"""import_data stakeholders / interactions: idempotent by external_id, bad rows reported by line,
nothing written on a file-level failure, last contact recomputed after the write."""
from datetime import date, datetime, timedelta, timezone as dt_timezone

import pytest

from accounts.services.imports import ImportFileError, import_csv
from stakeholders.models import Interaction, InteractionParticipant, Stakeholder
from tests.accounts.test_import_helpers import run_import, write_csv
from tests.factories import CompanyFactory, ProductUserFactory, UserFactory

from .factories import StakeholderFactory, log_contact

pytestmark = pytest.mark.django_db

STAKEHOLDERS = """external_id,company_external_id,name,email,title,role,influence,sentiment,reports_to_external_id,key_rank,is_active
S-1,C-ACME,Carla CFO,Carla@Acme.example,CFO,Economic buyer,5,positive,,1,yes
S-2,C-ACME,Tom Tech,tom@acme.example,Head of Platform,technical_evaluator,4,,S-1,2,
S-3,C-ACME,Paula Proc,paula@acme.example,Buyer,procurement,2,neutral,S-1,,
S-4,C-GLOBEX,Gus Globex,gus@globex.example,VP Eng,champion,,,,1,
"""

INTERACTIONS = """external_id,company_external_id,occurred_at,stakeholders,channel,logged_by_email,summary,next_step,next_step_due
I-1,C-ACME,2026-01-10T15:00:00Z,S-1;tom@acme.example,Video call,ravi@seller.example,Pricing call,Send quote,2026-01-20
I-2,C-ACME,2026-02-01 09:30:00,S-2,phone,ravi@seller.example,Tech check,,
I-3,C-GLOBEX,2025-12-24,gus@globex.example,email,,Season's greetings,,
"""


@pytest.fixture
def companies(db):
    return CompanyFactory(external_id="C-ACME", name="Acme"), CompanyFactory(external_id="C-GLOBEX", name="Globex")


@pytest.fixture
def ravi(db):
    return UserFactory(username="ravi", email="ravi@seller.example")


def load(kind, tmp_path, text, name="data.csv"):
    return run_import(kind, write_csv(tmp_path, text, name), "--no-resolve")


def rows(model, *fields):
    return sorted(model.objects.values_list(*fields))


def test_stakeholders_import_loads_every_column_and_is_idempotent(tmp_path, companies):
    user = ProductUserFactory(email="tom@acme.example", company=companies[0])
    code, output = load("stakeholders", tmp_path, STAKEHOLDERS)
    assert code == 0, output
    assert "4 created, 0 updated, 0 unchanged" in output
    carla = Stakeholder.objects.get(external_id="S-1")
    assert (carla.company, carla.email, carla.role, carla.influence, carla.sentiment, carla.key_rank) == (
        companies[0], "carla@acme.example", "economic_buyer", 5, "positive", 1)
    tom = Stakeholder.objects.get(external_id="S-2")
    assert tom.reports_to == carla and tom.key_rank == 2 and tom.product_user == user
    assert Stakeholder.objects.get(external_id="S-4").influence == 3  # default
    before = rows(Stakeholder, "external_id", "updated_at", "reports_to_id", "key_rank")

    code, output = load("stakeholders", tmp_path, STAKEHOLDERS)
    assert code == 0 and "0 created, 0 updated, 4 unchanged" in output
    assert rows(Stakeholder, "external_id", "updated_at", "reports_to_id", "key_rank") == before


def test_changed_rows_update_only_what_the_file_has(tmp_path, companies):
    load("stakeholders", tmp_path, STAKEHOLDERS)
    Stakeholder.objects.filter(external_id="S-3").update(department="Purchasing")
    # Swap the two key ranks and mark Paula as left; no department column in this file.
    code, output = load("stakeholders", tmp_path, """external_id,company_external_id,name,key_rank,is_active
S-1,C-ACME,Carla CFO,2,yes
S-2,C-ACME,Tom Tech,1,yes
S-3,C-ACME,Paula Proc,,no
""", "second.csv")
    assert code == 0, output
    assert "0 created, 3 updated, 0 unchanged" in output
    assert Stakeholder.objects.get(external_id="S-1").key_rank == 2
    assert Stakeholder.objects.get(external_id="S-2").key_rank == 1
    paula = Stakeholder.objects.get(external_id="S-3")
    assert paula.is_active is False and paula.left_at is not None
    assert paula.department == "Purchasing" and paula.role == "procurement"
    assert paula.reports_to.external_id == "S-1"


def test_bad_stakeholder_rows_are_reported_with_their_line_and_the_rest_loads(tmp_path, companies):
    StakeholderFactory(company=companies[0], external_id="", name="Hand Made", email="hand@acme.example", key_rank=3)
    code, output = load("stakeholders", tmp_path, """external_id,company_external_id,name,email,role,influence,key_rank,reports_to_external_id
S-1,C-ACME,Good One,good@acme.example,champion,4,,
S-2,C-NOPE,Nowhere,,,,,
S-3,C-ACME,Bad Role,,wizard,9,,
S-4,C-ACME,Dup Email,GOOD@acme.example,,,,
S-5,C-ACME,Rank Thief,,,,3,
S-6,C-ACME,Lost Boss,,,,,S-99
S-7,C-ACME,Loop A,,,,,S-8
S-8,C-ACME,Loop B,,,,,S-7
S-1,C-ACME,Again,,,,,
S-9,C-ACME,Hand Made,HAND@acme.example,decision_maker,,,
""")
    assert code == 2, output
    assert "line 3: company_external_id 'C-NOPE' is not a known company" in output
    line4 = next(text for text in output.splitlines() if text.startswith("line 4: "))
    assert "role 'wizard' is not one of" in line4 and "influence '9' is not between 1 and 5" in line4
    assert "line 5: email good@acme.example is also listed for 'S-1' of the same company on line 2" in output
    assert "line 6: key_rank 3 is held by 'Hand Made'" in output
    assert "line 7: reports_to_external_id 'S-99' is neither in this file nor already loaded" in output
    assert "line 8: reporting loop" in output and "line 9: reporting loop" in output
    assert "line 10: duplicate external_id 'S-1': already on line 2" in output
    assert sorted(Stakeholder.objects.exclude(external_id="").values_list("external_id", flat=True)) == ["S-1", "S-9"]
    # The hand-entered person with the same email was adopted, not duplicated.
    adopted = Stakeholder.objects.get(external_id="S-9")
    assert adopted.name == "Hand Made" and adopted.role == "decision_maker"
    assert adopted.key_rank is None  # the file has a key_rank column, empty for this row
    assert Stakeholder.objects.count() == 2


def test_missing_required_column_writes_nothing(tmp_path, companies):
    path = write_csv(tmp_path, "external_id,name\nS-1,Carla\n")
    with pytest.raises(ImportFileError, match="company_external_id"):
        import_csv(kind="stakeholders", source=str(path))
    assert not Stakeholder.objects.exists()


def test_interactions_import_links_people_by_id_or_email_and_sets_last_contact(tmp_path, companies, ravi):
    load("stakeholders", tmp_path, STAKEHOLDERS)
    code, output = load("interactions", tmp_path, INTERACTIONS, "interactions.csv")
    assert code == 0, output
    assert "3 created, 0 updated, 0 unchanged" in output
    first = Interaction.objects.get(external_id="I-1")
    assert first.channel == "video" and first.logged_by == ravi and first.next_step_due == date(2026, 1, 20)
    assert sorted(first.participants.values_list("stakeholder__external_id", flat=True)) == ["S-1", "S-2"]
    tom = Stakeholder.objects.get(external_id="S-2")
    assert tom.last_contacted_at == datetime(2026, 2, 1, 9, 30, tzinfo=dt_timezone.utc)
    assert tom.last_contacted_by == ravi
    carla = Stakeholder.objects.get(external_id="S-1")
    assert carla.last_contacted_at == datetime(2026, 1, 10, 15, tzinfo=dt_timezone.utc)
    assert Stakeholder.objects.get(external_id="S-4").last_contacted_by is None
    assert Stakeholder.objects.get(external_id="S-3").last_contacted_at is None

    before = rows(Interaction, "external_id", "updated_at")
    code, output = load("interactions", tmp_path, INTERACTIONS, "interactions.csv")
    assert code == 0 and "0 created, 0 updated, 3 unchanged" in output
    assert rows(Interaction, "external_id", "updated_at") == before
    assert InteractionParticipant.objects.count() == 4


def test_reimport_that_back_dates_and_moves_participants_recomputes_last_contact(tmp_path, companies, ravi):
    load("stakeholders", tmp_path, STAKEHOLDERS)
    load("interactions", tmp_path, INTERACTIONS, "interactions.csv")
    # I-2 is back-dated and now with Paula instead of Tom.
    code, output = load("interactions", tmp_path, """external_id,company_external_id,occurred_at,stakeholders
I-2,C-ACME,2025-11-01T10:00:00Z,S-3
""", "changed.csv")
    assert code == 0, output
    assert "0 created, 1 updated, 0 unchanged" in output
    tom = Stakeholder.objects.get(external_id="S-2")
    assert tom.last_contacted_at == datetime(2026, 1, 10, 15, tzinfo=dt_timezone.utc)  # back to I-1
    paula = Stakeholder.objects.get(external_id="S-3")
    assert paula.last_contacted_at == datetime(2025, 11, 1, 10, tzinfo=dt_timezone.utc)
    i2 = Interaction.objects.get(external_id="I-2")
    assert i2.summary == "Tech check" and i2.logged_by == ravi  # columns not in the file are kept


def test_bad_interaction_rows_are_reported_and_nothing_else_moves(tmp_path, companies, ravi):
    load("stakeholders", tmp_path, STAKEHOLDERS)
    future = (datetime.now(dt_timezone.utc) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, output = load("interactions", tmp_path, f"""external_id,company_external_id,occurred_at,stakeholders,channel,logged_by_email,next_step,next_step_due
I-1,C-ACME,2026-01-10T15:00:00Z,S-1,video,nobody@seller.example,,
I-2,C-ACME,{future},S-1,,,,
I-3,C-ACME,2026-01-11,gus@globex.example,,,,
I-4,C-ACME,yesterday,S-1,,,,
I-5,C-ACME,2026-01-12,,,,,
I-6,C-ACME,2026-01-12,S-2,carrier pigeon,,,2026-02-01
""", "bad.csv")
    assert code == 2, output
    assert "line 2: warning: logged_by_email 'nobody@seller.example' matches no revops user" in output
    assert "line 3: occurred_at" in output and "is in the future" in output
    assert "line 4: stakeholders: 'gus@globex.example' is not a stakeholder of company 'C-ACME'" in output
    assert "line 5: occurred_at 'yesterday' is not a date" in output
    assert "line 6: stakeholders is required" in output
    line7 = next(text for text in output.splitlines() if text.startswith("line 7: "))
    assert "channel 'carrier pigeon' is not one of" in line7 and "next_step_due needs a next_step" in line7
    assert list(Interaction.objects.values_list("external_id", flat=True)) == ["I-1"]
    assert Stakeholder.objects.exclude(last_contacted_at=None).count() == 1


def test_interactions_import_keeps_hand_logged_contacts_in_last_contact(tmp_path, companies, ravi):
    load("stakeholders", tmp_path, STAKEHOLDERS)
    carla = Stakeholder.objects.get(external_id="S-1")
    logged = log_contact(carla, by=ravi, days_ago=1)
    load("interactions", tmp_path, INTERACTIONS, "interactions.csv")  # older contacts
    carla.refresh_from_db()
    assert carla.last_contacted_at == logged.occurred_at
