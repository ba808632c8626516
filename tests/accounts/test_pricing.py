"""The price book: enterprise quotes at the tier boundaries, and the admin's rules for editing it."""
from decimal import Decimal

import pytest

from accounts.models import PricePlan, PriceTier
from accounts.services.pricing import enterprise_quote, price_book_load
from revops.errors import ApplicationError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "seats, price, tier, monthly",
    [
        (0, "49.00", None, "0.00"),
        (1, "49.00", None, "49.00"),
        (99, "49.00", None, "4851.00"),
        (100, "44.00", 100, "4400.00"),  # all units: crossing the tier reprices every seat
        (499, "44.00", 100, "21956.00"),
        (500, "39.00", 500, "19500.00"),
        (999, "39.00", 500, "38961.00"),
        (1000, "34.00", 1000, "34000.00"),
        (5000, "29.00", 5000, "145000.00"),
    ],
)
def test_quote_uses_the_tier_the_seats_reach(seats, price, tier, monthly):
    quote = enterprise_quote(seats=seats)
    assert quote.seats == seats
    assert quote.list_price_per_seat == Decimal("49.00")
    assert (quote.tier_price_per_seat, quote.tier) == (Decimal(price), tier)
    assert quote.monthly == Decimal(monthly)
    assert quote.annual == Decimal(monthly) * 12


def test_quote_discount_and_label():
    quote = enterprise_quote(seats=500)
    assert quote.discount == pytest.approx(1 - 39 / 49)
    assert quote.tier_label == "500+ seats"
    assert enterprise_quote(seats=3).tier_label == "List price"


def test_sql_price_rule_matches_python_at_every_boundary():
    from django.db import connection

    book = price_book_load()
    for seats in (0, 99, 100, 499, 500, 999, 1000, 4999, 5000, 12000):
        sql, params = book.price_per_seat_sql("%s")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {sql}", _interleave(seats, params))
            (value,) = cursor.fetchone()
        assert Decimal(str(value)) == book.quote(seats).tier_price_per_seat, seats


def _interleave(seats, params):
    """Every WHEN compares `seats` (a placeholder in the SQL) before its own two parameters."""
    out, values = [], list(params)
    while len(values) > 1:
        out += [seats, values.pop(0), values.pop(0)]
    return out + values


def test_no_enterprise_plan_is_an_application_error():
    PricePlan.objects.filter(is_enterprise=True).update(is_enterprise=False)
    with pytest.raises(ApplicationError, match="no enterprise plan"):
        enterprise_quote(seats=10)


# --- admin ------------------------------------------------------------------------------------------


@pytest.fixture
def su_client(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def plan_form(plan: PricePlan | None = None, tiers: list[tuple] = (), **overrides) -> dict:
    existing = list(plan.tiers.order_by("min_seats")) if plan else []
    data = {
        "code": plan.code if plan else "scale",
        "name": plan.name if plan else "Scale",
        "list_price_per_seat": str(plan.list_price_per_seat) if plan else "20.00",
        "is_enterprise": "on" if plan and plan.is_enterprise else "",
        "tiers-TOTAL_FORMS": str(len(existing) + len(tiers)),
        "tiers-INITIAL_FORMS": str(len(existing)),
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for i, tier in enumerate(existing):
        data.update({f"tiers-{i}-id": str(tier.pk), f"tiers-{i}-plan": str(plan.pk),
                     f"tiers-{i}-min_seats": str(tier.min_seats), f"tiers-{i}-price_per_seat": str(tier.price_per_seat)})
    for j, (min_seats, price) in enumerate(tiers, start=len(existing)):
        data.update({f"tiers-{j}-id": "", f"tiers-{j}-plan": str(plan.pk) if plan else "",
                     f"tiers-{j}-min_seats": str(min_seats), f"tiers-{j}-price_per_seat": str(price)})
    data.update(overrides)
    return data


def errors(response) -> str:
    assert response.status_code == 200, "the form comes back with errors"
    form = response.context["adminform"].form
    inline_errors = [f.errors for formset in response.context["inline_admin_formsets"] for f in formset.formset.forms]
    return f"{form.errors} {inline_errors}"


def test_price_book_admin_changelist_search_add_and_change(su_client):
    listing = su_client.get("/admin/accounts/priceplan/")
    assert listing.status_code == 200
    content = listing.content.decode()
    assert "Enterprise" in content and "100+ at 44.00" in content
    assert "Team" in su_client.get("/admin/accounts/priceplan/", {"q": "team"}).content.decode()

    added = su_client.post("/admin/accounts/priceplan/add/", plan_form(tiers=[(50, "18.00")], code="Scale"))
    assert added.status_code == 302
    scale = PricePlan.objects.get(code="scale")  # lower-cased: it matches Workspace.plan
    assert list(scale.tiers.values_list("min_seats", "price_per_seat")) == [(50, Decimal("18.00"))]

    enterprise = PricePlan.objects.get(is_enterprise=True)
    assert su_client.get(f"/admin/accounts/priceplan/{enterprise.pk}/change/").status_code == 200
    changed = su_client.post(f"/admin/accounts/priceplan/{enterprise.pk}/change/", plan_form(enterprise, tiers=[(2000, "31.00")]))
    assert changed.status_code == 302
    assert enterprise_quote(seats=2000).tier_price_per_seat == Decimal("31.00")


def test_second_enterprise_plan_is_refused_naming_the_field(su_client):
    response = su_client.post("/admin/accounts/priceplan/add/", plan_form(is_enterprise="on"))
    assert "is_enterprise" in str(response.context["adminform"].form.errors)
    assert "already the enterprise plan" in errors(response)
    assert not PricePlan.objects.filter(code="scale").exists()


def test_the_enterprise_plan_cannot_be_unticked_or_deleted(su_client):
    enterprise = PricePlan.objects.get(is_enterprise=True)
    response = su_client.post(f"/admin/accounts/priceplan/{enterprise.pk}/change/", plan_form(enterprise, is_enterprise=""))
    assert "One plan must be the enterprise plan" in errors(response)
    assert su_client.get(f"/admin/accounts/priceplan/{enterprise.pk}/delete/").status_code == 403
    enterprise.refresh_from_db()
    assert enterprise.is_enterprise


@pytest.mark.parametrize(
    "tiers, field, message",
    [
        ([(500, "30.00")], "min_seats", "Another tier already starts at 500 seats."),
        ([(2000, "-1.00")], "price_per_seat", "greater than or equal to 0"),
        ([(2000, "36.00")], "price_per_seat", "2,000+ seats would cost more per seat than 1,000+ seats (34.00)."),
        ([(50, "55.00")], "price_per_seat", "cannot be above the list price"),
        ([(0, "40.00")], "min_seats", "greater than or equal to 1"),
    ],
)
def test_bad_tiers_are_refused_naming_the_field(su_client, tiers, field, message):
    enterprise = PricePlan.objects.get(is_enterprise=True)
    before = list(PriceTier.objects.order_by("pk").values_list("min_seats", "price_per_seat"))

    response = su_client.post(f"/admin/accounts/priceplan/{enterprise.pk}/change/", plan_form(enterprise, tiers=tiers))

    text = errors(response)
    assert f"'{field}'" in text and message in text
    assert list(PriceTier.objects.order_by("pk").values_list("min_seats", "price_per_seat")) == before
