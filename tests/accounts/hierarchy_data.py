"""Hand-built hierarchies shared by the hierarchy, penetration and consolidation tests.

The three-level group (figures checked by hand in the tests):

    Holdings   potential 1,000,000  own workspace mrr 100 (2 seats); 1 active user
    ├── Europe potential   300,000
    │   ├── UK potential      None  workspaces mrr 1,000 (20 seats) + 500 (10 seats); users: 2 active, 1 idle
    │   └── DE potential   200,000  workspace mrr 250 (5 seats); 1 user never active
    └── Americas potential    None  workspace mrr 2,000 (40 seats)
"""
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from tests.factories import CompanyFactory, ProductUserFactory, WorkspaceFactory


def build_group(**holdings_fields) -> dict:
    now = timezone.now()
    holdings = CompanyFactory(name="Holdings", potential_arr=Decimal("1000000"), employee_count=6000, **holdings_fields)
    europe = CompanyFactory(name="Europe", parent=holdings, potential_arr=Decimal("300000"))
    uk = CompanyFactory(name="UK", parent=europe, potential_arr=None)
    de = CompanyFactory(name="DE", parent=europe, potential_arr=Decimal("200000"))
    americas = CompanyFactory(name="Americas", parent=holdings, potential_arr=None)
    WorkspaceFactory(company=holdings, mrr=Decimal("100"), seats=2)
    WorkspaceFactory(company=uk, mrr=Decimal("1000"), seats=20)
    WorkspaceFactory(company=uk, mrr=Decimal("500"), seats=10)
    WorkspaceFactory(company=de, mrr=Decimal("250"), seats=5)
    WorkspaceFactory(company=americas, mrr=Decimal("2000"), seats=40)
    ProductUserFactory(company=holdings, last_active_at=now - timedelta(days=1))
    ProductUserFactory(company=uk, last_active_at=now - timedelta(days=2))
    ProductUserFactory(company=uk, last_active_at=now - timedelta(days=29, hours=23))
    ProductUserFactory(company=uk, last_active_at=now - timedelta(days=31))
    ProductUserFactory(company=de, last_active_at=None)
    return {"holdings": holdings, "europe": europe, "uk": uk, "de": de, "americas": americas}


def build_chain(depth: int, **fields) -> list:
    """A straight line of `depth` companies, top first, each with one workspace of mrr 10."""
    chain = []
    parent = None
    for level in range(depth):
        parent = CompanyFactory(name=f"Level {level:03d}", parent=parent, potential_arr=None, **fields)
        WorkspaceFactory(company=parent, mrr=Decimal("10"), seats=1)
        chain.append(parent)
    return chain
