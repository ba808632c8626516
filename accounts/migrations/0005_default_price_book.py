"""A starting price book (editable in the admin): the self-serve plans and enterprise volume tiers."""
from decimal import Decimal

from django.db import migrations

PLANS = [
    # code, name, list price per seat per month, is_enterprise
    ("free", "Free", Decimal("0.00"), False),
    ("team", "Team", Decimal("12.00"), False),
    ("business", "Business", Decimal("29.00"), False),
    ("enterprise", "Enterprise", Decimal("49.00"), True),
]
ENTERPRISE_TIERS = [(100, Decimal("44.00")), (500, Decimal("39.00")), (1000, Decimal("34.00")), (5000, Decimal("29.00"))]


def create_price_book(apps, schema_editor):
    PricePlan = apps.get_model("accounts", "PricePlan")
    PriceTier = apps.get_model("accounts", "PriceTier")
    for code, name, price, is_enterprise in PLANS:
        plan, _ = PricePlan.objects.get_or_create(
            code=code, defaults={"name": name, "list_price_per_seat": price, "is_enterprise": is_enterprise}
        )
        if is_enterprise:
            for min_seats, tier_price in ENTERPRISE_TIERS:
                PriceTier.objects.get_or_create(plan=plan, min_seats=min_seats, defaults={"price_per_seat": tier_price})


def remove_price_book(apps, schema_editor):
    apps.get_model("accounts", "PricePlan").objects.filter(code__in=[p[0] for p in PLANS]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_resolution_pricing_events")]

    operations = [migrations.RunPython(create_price_book, remove_price_book)]
