"""Account resolution from evidence other than the email domain: typed company names, workspace
names, colleagues, and workspaces from their members — through the database and the command."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import MatchFields, ResolutionSettings, WorkspaceMembership
from tests.factories import (
    CompanyDomainFactory,
    CompanyFactory,
    ProductUserFactory,
    WorkspaceFactory,
    WorkspaceMembershipFactory,
)

pytestmark = pytest.mark.django_db

AUTO, REVIEW, UNMATCHED = MatchFields.Status.AUTO, MatchFields.Status.REVIEW, MatchFields.Status.UNMATCHED
ADMIN = WorkspaceMembership.Role.ADMIN

# Unrelated companies, so word weights look like a real CRM's rather than a two-company toy's.
FILLER = ["Initech LLC", "Umbrella Corporation", "Stark Industries", "Wayne Enterprises", "Hooli Inc",
          "Vandelay Industries", "Soylent Corp", "Tyrell Corporation", "Cyberdyne Systems", "Wonka Industries",
          "Pied Piper Inc", "Massive Dynamic", "Oscorp", "Gringotts Bank", "Monarch Solutions"]


def resolve() -> str:
    out = StringIO()
    call_command("resolve_accounts", "--full", stdout=out)
    return out.getvalue()


@pytest.fixture
def crm():
    for name in FILLER:
        CompanyFactory(name=name)
    companies = {
        "acme": CompanyFactory(name="Acme Corporation"),
        "globex": CompanyFactory(name="Globex Industries"),
        "west": CompanyFactory(name="Bank of the West"),
        "east": CompanyFactory(name="Bank of the East"),
        "sh": CompanyFactory(name="Schlumberger Holdings Corporation"),
        "st": CompanyFactory(name="Schlumberger Technology Corporation"),
    }
    CompanyDomainFactory(company=companies["acme"], domain="acme.com")
    CompanyDomainFactory(company=companies["globex"], domain="globex.com")
    return companies


def member(workspace, email, role=WorkspaceMembership.Role.MEMBER, **kwargs):
    user = ProductUserFactory(email=email, **kwargs)
    WorkspaceMembershipFactory(workspace=workspace, user=user, role=role)
    return user


def test_a_typed_company_name_resolves_a_free_mail_user(crm):
    jane = ProductUserFactory(email="jane.doe@gmail.com", company_name="ACME CORP.")
    resolve()
    jane.refresh_from_db()
    assert (jane.company, jane.match_status, jane.match_method) == (crm["acme"], AUTO, "name")
    assert jane.match_confidence == pytest.approx(1.0)
    assert jane.match_reason.startswith(
        "gmail.com is a free-mail domain; typed 'ACME CORP.' = 'Acme Corporation' (100)"
    )


def test_a_corporate_domain_no_company_owns_falls_back_to_the_typed_name(crm):
    ann = ProductUserFactory(email="ann@acme-consulting.net", company_name="Globex Industries Inc.")
    resolve()
    ann.refresh_from_db()
    assert (ann.company, ann.match_status, ann.match_method) == (crm["globex"], AUTO, "name")
    assert ann.match_reason.startswith("no CRM company owns acme-consulting.net; typed")


def test_a_name_that_fits_two_companies_goes_to_review_naming_both(crm):
    sam = ProductUserFactory(email="sam@yahoo.com", company_name="Schlumberger")
    resolve()
    sam.refresh_from_db()
    assert sam.company is None
    assert sam.match_status == REVIEW
    assert sam.suggested_company in {crm["sh"], crm["st"]}
    assert "Schlumberger Holdings" in sam.match_reason and "Schlumberger Technology" in sam.match_reason


def test_common_words_never_carry_a_match(crm):
    north = ProductUserFactory(email="n@gmail.com", company_name="Bank of the North")
    resolve()
    north.refresh_from_db()
    assert (north.company, north.suggested_company, north.match_status) == (None, None, UNMATCHED)


def test_junk_company_names_are_unmatched_with_the_reason(crm):
    me = ProductUserFactory(email="me@gmail.com", company_name="n/a")
    resolve()
    me.refresh_from_db()
    assert me.match_status == UNMATCHED
    assert "is not a company name" in me.match_reason


def test_colleagues_resolve_a_free_mail_member_with_lower_confidence(crm):
    space = WorkspaceFactory(name="data-platform")
    for n in range(3):
        member(space, f"eng{n}@acme.com")
    member(space, "ext@partner-agency.io")
    free = member(space, "dev@gmail.com")
    resolve()
    free.refresh_from_db()
    assert free.company is None
    assert free.match_status == REVIEW  # colleagues alone stay below auto-accept at the default factor
    assert free.suggested_company == crm["acme"]
    assert free.match_method == "colleagues"
    assert free.match_confidence == pytest.approx(0.85 * 0.98 * 3 / 4, abs=1e-4)
    assert "3 of 4 colleagues in workspace 'data-platform' resolve to 'Acme Corporation'" in free.match_reason


def test_the_colleague_factor_is_an_admin_setting(crm):
    ResolutionSettings.objects.update_or_create(pk=1, defaults={"colleague_factor": 0.5})
    space = WorkspaceFactory(name="data-platform")
    member(space, "eng@acme.com")
    free = member(space, "dev@gmail.com")
    resolve()
    free.refresh_from_db()
    assert free.match_confidence == pytest.approx(0.5 * 0.98, abs=1e-4)
    assert free.match_status == UNMATCHED


def test_agreeing_evidence_raises_the_confidence_to_auto(crm):
    space = WorkspaceFactory(name="sandbox")
    member(space, "eng@acme.com")
    typed_partial = member(space, "dev@gmail.com", company_name="Acme Labs")  # alone: review at best
    resolve()
    typed_partial.refresh_from_db()
    assert (typed_partial.company, typed_partial.match_status) == (crm["acme"], AUTO)
    assert "together" in typed_partial.match_reason
    assert "1 of 1 colleague in workspace 'sandbox'" in typed_partial.match_reason


def test_conflicting_evidence_goes_to_review_naming_both(crm):
    space = WorkspaceFactory(name="shared-space")
    member(space, "a@globex.com")
    member(space, "b@globex.com")
    torn = member(space, "torn@gmail.com", company_name="Acme Corporation")
    resolve()
    torn.refresh_from_db()
    assert torn.company is None
    assert torn.match_status == REVIEW
    assert torn.suggested_company == crm["acme"]
    assert torn.match_reason.startswith("gmail.com is a free-mail domain; conflicting evidence: 'Acme Corporation'")
    assert "'Globex Industries'" in torn.match_reason


def test_a_workspace_name_hints_the_company_of_its_free_mail_members(crm):
    space = WorkspaceFactory(name="Globex Industries Marketing")
    free = member(space, "mkt@gmail.com")
    resolve()
    free.refresh_from_db()
    assert free.match_method == "workspace"
    assert free.match_status == REVIEW
    assert free.suggested_company == crm["globex"]
    assert "workspace 'Globex Industries Marketing'" in free.match_reason
    assert free.match_confidence < 0.9  # alone, a workspace's name never auto-accepts a person


def test_workspaces_resolve_from_their_members_with_admins_weighing_more(crm):
    space = WorkspaceFactory(name="analytics")
    member(space, "boss@acme.com", role=ADMIN)
    member(space, "x@globex.com")
    member(space, "y@globex.com")
    resolve()
    space.refresh_from_db()
    # admin weight 3 for Acme against 2 members for Globex: Acme leads, Globex is too strong to ignore
    assert space.match_status == REVIEW
    assert space.suggested_company == crm["acme"]
    assert space.match_method == "members"
    assert "1 of 3 members resolve to 'Acme Corporation' (weight 3 of 5" in space.match_reason

    second = WorkspaceFactory(name="ops")
    member(second, "boss2@acme.com", role=ADMIN)
    member(second, "boss3@acme.com", role=ADMIN)
    member(second, "z@globex.com")
    resolve()
    second.refresh_from_db()
    assert (second.company, second.match_status) == (crm["acme"], AUTO)
    assert second.match_confidence == pytest.approx(0.98 * (0.5 + 0.5 * 6 / 7), abs=1e-4)


def test_a_workspace_all_of_whose_members_agree_is_auto_accepted(crm):
    space = WorkspaceFactory(name="Team Rocket")
    member(space, "a@acme.com", role=ADMIN)
    member(space, "b@acme.com")
    member(space, "c@gmail.com")  # unresolved members are not counter-evidence
    resolve()
    space.refresh_from_db()
    assert (space.company, space.match_status, space.match_method) == (crm["acme"], AUTO, "members")
    assert space.match_reason.endswith("1 unresolved")


def test_a_workspace_without_resolved_members_is_matched_by_its_name(crm):
    named = WorkspaceFactory(name="Globex Industries")
    member(named, "someone@gmail.com")
    nameless = WorkspaceFactory(name="My workspace")
    resolve()
    named.refresh_from_db()
    nameless.refresh_from_db()
    assert (named.company, named.match_status, named.match_method) == (crm["globex"], AUTO, "name")
    assert named.match_confidence == pytest.approx(0.9)
    assert (nameless.company, nameless.match_status) == (None, UNMATCHED)
    assert "no members" in nameless.match_reason


def test_a_workspace_whose_free_mail_members_resolved_by_name_follows_them(crm):
    space = WorkspaceFactory(name="Project X")
    member(space, "a@gmail.com", role=ADMIN, company_name="Acme Corporation")
    member(space, "b@hotmail.com", company_name="Acme Corp")
    resolve()
    space.refresh_from_db()
    assert (space.company, space.match_status, space.match_method) == (crm["acme"], AUTO, "members")


def test_the_thresholds_are_admin_settings(crm):
    ResolutionSettings.objects.update_or_create(pk=1, defaults={"auto_threshold": 0.99, "review_threshold": 0.5})
    jane = ProductUserFactory(email="jane@gmail.com", company_name="Acme Corp Berlin")
    resolve()
    jane.refresh_from_db()
    assert (jane.company, jane.match_status, jane.suggested_company) == (None, REVIEW, crm["acme"])
    assert "below auto-accept 0.99" in jane.match_reason
