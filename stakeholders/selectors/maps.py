"""The stakeholder map of one account: its org chart (reports-to tree) laid out for drawing.

One query reads the company's stakeholders (with who last contacted them); the tree is built in
Python from that list, so the map costs the same whatever the size of the account. The template
draws it without recursion from a flat list of ``ChartItem`` in document order (like the company
hierarchy tree), each saying whether its card opens a list of reports and how many lists close
after it.
"""
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from accounts.models import Company
from revops.timezones import days_since, local_today, user_zone
from stakeholders.models import KEY_STAKEHOLDERS, Stakeholder
from stakeholders.selectors.metrics import freshness


@dataclass
class MapCard:
    stakeholder: Stakeholder
    days_since: int | None
    freshness: str  # fresh / recent / stale / never (see selectors.metrics.freshness)
    reports: list["MapCard"] = field(default_factory=list)

    @property
    def last_contacted_by(self) -> str:
        user = self.stakeholder.last_contacted_by
        if user is None:
            return ""
        return user.get_full_name() or user.get_username()


@dataclass
class ChartItem:
    card: MapCard
    depth: int
    opens: bool  # its reports follow in a nested list
    closes: range  # nested lists (with their parent item) that end after this one


@dataclass
class KeySlot:
    rank: int
    card: MapCard | None  # None: nobody holds this rank yet


@dataclass
class StakeholderMap:
    company: Company
    cards: list[MapCard]  # every stakeholder, active first
    key_slots: list[KeySlot]  # ranks 1–5, filled or not
    chart: list[ChartItem]  # active stakeholders (and anyone who left but still has reports)
    former: list[MapCard]  # left the company and nobody reports to them
    roles: list[tuple[str, str, int]]  # (value, label, active count) of the roles present, in Role order

    @property
    def active_count(self) -> int:
        return sum(1 for card in self.cards if card.stakeholder.is_active)

    @property
    def key_count(self) -> int:
        return sum(1 for slot in self.key_slots if slot.card is not None)


def _sort_key(card: MapCard):
    """Key stakeholders first (by rank), then the most influential, then the most recently contacted."""
    s = card.stakeholder
    contacted = s.last_contacted_at.timestamp() if s.last_contacted_at else float("-inf")
    return (s.key_rank is None, s.key_rank or 0, -s.influence, -contacted, s.name.lower())


def stakeholder_map(*, company: Company, viewer=None, now: datetime | None = None) -> StakeholderMap:
    zone = user_zone(viewer)
    today = local_today(viewer, now=now or timezone.now())
    people = list(
        Stakeholder.objects.filter(company=company).select_related("last_contacted_by", "product_user")
    )
    cards = {}
    for person in people:
        days = days_since(person.last_contacted_at, zone=zone, today=today)
        cards[person.pk] = MapCard(stakeholder=person, days_since=days, freshness=freshness(days))

    bosses_of_someone = {p.reports_to_id for p in people if p.is_active and p.reports_to_id}
    in_chart = {pk for pk, card in cards.items() if card.stakeholder.is_active or pk in bosses_of_someone}
    roots = []
    for pk in in_chart:
        card = cards[pk]
        boss = card.stakeholder.reports_to_id
        if boss in in_chart:
            cards[boss].reports.append(card)
        else:
            roots.append(card)
    _break_loops(roots, [cards[pk] for pk in in_chart])
    for card in cards.values():
        card.reports.sort(key=_sort_key)
    roots.sort(key=_sort_key)

    chart = _flatten(roots)
    ordered = sorted(cards.values(), key=lambda c: (not c.stakeholder.is_active, *_sort_key(c)))
    by_rank = {c.stakeholder.key_rank: c for c in ordered if c.stakeholder.key_rank and c.stakeholder.is_active}
    present = {}
    for card in ordered:
        if card.stakeholder.is_active:
            present[card.stakeholder.role] = present.get(card.stakeholder.role, 0) + 1
    return StakeholderMap(
        company=company,
        cards=ordered,
        key_slots=[KeySlot(rank=rank, card=by_rank.get(rank)) for rank in range(1, KEY_STAKEHOLDERS + 1)],
        chart=chart,
        former=[c for c in ordered if c.stakeholder.pk not in in_chart],
        roles=[(value, label, present[value]) for value, label in Stakeholder.Role.choices if value in present],
    )


def _break_loops(roots: list[MapCard], members: list[MapCard]) -> None:
    """A reporting loop (possible in imported data) would hide its people: draw them as roots."""
    reached = set()
    stack = list(roots)
    while stack:
        card = stack.pop()
        reached.add(card.stakeholder.pk)
        stack.extend(card.reports)
    for card in sorted(members, key=lambda c: c.stakeholder.pk):
        if card.stakeholder.pk in reached:
            continue
        for other in members:
            if card in other.reports:
                other.reports.remove(card)
        roots.append(card)
        stack = [card]
        while stack:
            node = stack.pop()
            reached.add(node.stakeholder.pk)
            stack.extend(node.reports)


def _flatten(roots: list[MapCard]) -> list[ChartItem]:
    """Depth-first, iteratively (a reporting line can be long); ``closes`` tells the template how
    many ``</ul></li>`` pairs to emit after an item without reports."""
    items: list[ChartItem] = []
    depths: list[int] = []
    stack = [(card, 0) for card in reversed(roots)]
    while stack:
        card, depth = stack.pop()
        items.append(ChartItem(card=card, depth=depth, opens=bool(card.reports), closes=range(0)))
        depths.append(depth)
        stack.extend((child, depth + 1) for child in reversed(card.reports))
    for index, item in enumerate(items):
        if item.opens:
            continue
        following = depths[index + 1] if index + 1 < len(items) else 0
        item.closes = range(depths[index] - following)
    return items
