"""factory_boy factories for every model; tests build exactly the rows they need."""
from datetime import date, datetime, timezone
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.models import (
    Company,
    CompanyDomain,
    ProductUser,
    Profile,
    Team,
    UsageRecord,
    Workspace,
    WorkspaceMembership,
)
from revops import roles


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@seller.example")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("pw-for-tests-only")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
            if extracted == roles.REVOPS_ADMIN:
                self.is_staff = True
                self.save(update_fields=["is_staff"])


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    manager = None


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)
    team = None


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    external_id = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"Company {n}")
    industry = "Software"
    employee_count = 500
    potential_arr = Decimal("100000.00")
    country = "US"
    tier = Company.Tier.MID_MARKET


class CompanyDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanyDomain

    company = factory.SubFactory(CompanyFactory)
    domain = factory.Sequence(lambda n: f"company{n}.com")


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    external_id = factory.Sequence(lambda n: f"W{n:05d}")
    name = factory.Sequence(lambda n: f"Workspace {n}")
    plan = "team"
    seats = 10
    mrr = Decimal("250.00")
    status = Workspace.Status.ACTIVE
    created_at = factory.LazyFunction(lambda: datetime(2025, 1, 15, tzinfo=timezone.utc))
    company = None


class ProductUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductUser

    external_id = factory.Sequence(lambda n: f"U{n:06d}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    signed_up_at = factory.LazyFunction(lambda: datetime(2025, 2, 1, tzinfo=timezone.utc))
    company = None


class WorkspaceMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkspaceMembership

    user = factory.SubFactory(ProductUserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    role = WorkspaceMembership.Role.MEMBER


class UsageRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsageRecord

    workspace = factory.SubFactory(WorkspaceFactory)
    company = None
    period = date(2026, 1, 1)
    metric = "api_calls"
    quantity = Decimal("1000")
    amount = Decimal("100.00")
