"""Account resolution by email domain, through `resolve_accounts` and the database."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import EmailDomainRule, MatchFields, ProductUser
from tests.factories import CompanyDomainFactory, CompanyFactory, ProductUserFactory

pytestmark = pytest.mark.django_db

AUTO, REVIEW, UNMATCHED = MatchFields.Status.AUTO, MatchFields.Status.REVIEW, MatchFields.Status.UNMATCHED


def resolve(*args: str) -> str:
    out = StringIO()
    call_command("resolve_accounts", "--full", *args, stdout=out)
    return out.getvalue()


def user(email: str, **kwargs) -> ProductUser:
    return ProductUserFactory(email=email, **kwargs)


def outcome(record) -> tuple:
    record.refresh_from_db()
    return record.company, record.match_status, record.match_method


@pytest.fixture
def acme():
    company = CompanyFactory(name="Acme Ltd")
    CompanyDomainFactory(company=company, domain="acme.co.uk")
    return company


def test_a_corporate_address_resolves_to_the_company_owning_the_domain(acme):
    jane = user("jane@acme.co.uk")
    resolve()
    jane.refresh_from_db()
    assert (jane.company, jane.match_status, jane.match_method) == (acme, AUTO, "domain")
    assert jane.match_confidence == pytest.approx(0.98)
    assert jane.match_reason == "email domain acme.co.uk is owned by 'Acme Ltd'"
    assert jane.matched_at is not None and jane.matched_by is None
    assert jane.suggested_company is None


def test_a_subdomain_resolves_to_the_owner_of_its_registered_domain(acme):
    eu = user("ops@eu.mail.acme.co.uk")
    resolve()
    eu.refresh_from_db()
    assert (eu.company, eu.match_status, eu.match_method) == (acme, AUTO, "domain")
    assert eu.match_confidence == pytest.approx(0.98)
    assert "eu.mail.acme.co.uk (registered domain acme.co.uk)" in eu.match_reason


@pytest.mark.parametrize("domain, email", [("acme.com.au", "kim@sydney.acme.com.au"), ("acme.co.jp", "yu@acme.co.jp")])
def test_multi_part_public_suffixes_are_one_suffix(domain, email):
    company = CompanyFactory(name="Acme Pacific")
    CompanyDomainFactory(company=company, domain=domain)
    CompanyDomainFactory(company=CompanyFactory(name="Com Australia"), domain="com.au.example")
    someone = user(email)
    resolve()
    assert outcome(someone) == (company, AUTO, "domain")


@pytest.mark.parametrize(
    "owned, email, stranger",
    [
        ("foo.github.io", "dev@foo.github.io", "x@bar.github.io"),
        ("shop.myshopify.com", "me@shop.myshopify.com", "you@other.myshopify.com"),
        ("app.herokuapp.com", "ops@app.herokuapp.com", "ops@else.herokuapp.com"),
    ],
)
def test_private_suffixes_never_map_a_whole_platform_to_one_company(owned, email, stranger):
    company = CompanyFactory(name="Foo Widgets")
    CompanyDomainFactory(company=company, domain=owned)
    owner_user, other_user = user(email), user(stranger)
    resolve()
    assert outcome(owner_user) == (company, AUTO, "domain")
    other_user.refresh_from_db()
    assert other_user.company is None
    assert other_user.match_status == UNMATCHED
    assert "no CRM company owns" in other_user.match_reason


def test_uppercase_and_whitespace_in_addresses_are_handled(acme):
    # The model keeps emails lower-case; whitespace can still arrive from events or old rows.
    shouty = user("jane@acme.co.uk")
    ProductUser.objects.filter(pk=shouty.pk).update(email=" jane@acme.co.uk ")
    spaced = user("bob@ eu.acme.co.uk")
    resolve()
    assert outcome(shouty) == (acme, AUTO, "domain")
    assert outcome(spaced) == (acme, AUTO, "domain")
    assert "@" in ProductUser.objects.get(pk=shouty.pk).email  # the address itself is not rewritten


def test_a_company_may_own_several_domains():
    group = CompanyFactory(name="Globex Group")
    for domain in ("globex.com", "globex.de", "initech.com"):
        CompanyDomainFactory(company=group, domain=domain)
    people = [user("a@globex.com"), user("b@mail.globex.de"), user("c@initech.com")]
    resolve()
    assert [outcome(p) for p in people] == [(group, AUTO, "domain")] * 3


def test_free_mail_never_resolves_by_domain_even_if_a_company_lists_it():
    company = CompanyFactory(name="Google LLC")
    CompanyDomainFactory(company=company, domain="gmail.com")
    someone = user("someone@gmail.com")
    resolve()
    someone.refresh_from_db()
    assert someone.company is None
    assert someone.match_status == UNMATCHED
    assert someone.match_reason.startswith("gmail.com is a free-mail domain")


def test_disposable_addresses_are_unmatched_with_a_reason():
    company = CompanyFactory(name="Mailinator Inc")
    CompanyDomainFactory(company=company, domain="mailinator.com")
    throwaway = user("x@mailinator.com", company_name="Mailinator Inc")
    resolve()
    throwaway.refresh_from_db()
    assert (throwaway.company, throwaway.match_status) == (None, UNMATCHED)
    assert throwaway.match_reason == "mailinator.com is a disposable email domain: not resolved"


def test_an_admin_rule_marks_a_domain_free_mail(acme):
    EmailDomainRule.objects.create(domain="acme.co.uk", kind=EmailDomainRule.Kind.FREE)
    jane = user("jane@acme.co.uk")
    resolve()
    jane.refresh_from_db()
    assert (jane.company, jane.match_status) == (None, UNMATCHED)
    assert jane.match_reason.startswith("acme.co.uk is a free-mail domain")


def test_an_admin_rule_marks_a_listed_free_mail_domain_corporate():
    company = CompanyFactory(name="Yandex LLC")
    CompanyDomainFactory(company=company, domain="yandex.ru")
    EmailDomainRule.objects.create(domain="yandex.ru", kind=EmailDomainRule.Kind.CORPORATE)
    employee = user("ivan@yandex.ru")
    resolve()
    assert outcome(employee) == (company, AUTO, "domain")


def test_an_admin_rule_marks_a_domain_disposable(acme):
    EmailDomainRule.objects.create(domain="acme.co.uk", kind=EmailDomainRule.Kind.DISPOSABLE)
    jane = user("jane@acme.co.uk")
    resolve()
    assert outcome(jane) == (None, UNMATCHED, "")


def test_an_address_without_a_usable_domain_is_unmatched():
    broken = user("nobody@localhost")
    resolve()
    broken.refresh_from_db()
    assert broken.match_status == UNMATCHED
    assert broken.match_reason == "no usable email domain in 'localhost'"


def test_a_domain_owned_by_a_child_company_maps_to_the_child(acme):
    child = CompanyFactory(name="Acme Germany GmbH", parent=acme)
    CompanyDomainFactory(company=child, domain="acme.de")
    hans = user("hans@acme.de")
    resolve()
    assert outcome(hans) == (child, AUTO, "domain")
