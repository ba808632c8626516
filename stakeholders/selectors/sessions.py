"""Reads of review sessions: a team's history, one session with its carry-over, and its CSV rows.

A session's rows come from its snapshot (the figures the review was held on), never from today's
data; notes and action items are live rows. The carry-over is the previous session's action items,
each with whether it is done now.
"""
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils.dateparse import parse_datetime

from accounts.models import Team
from stakeholders.models import AccountReviewNote, ActionItem, ReviewSession

from .metrics import FLAG_KEYS, FLAG_LABELS


@dataclass
class SessionRow:
    """One account of a session: its snapshot figures plus this session's notes and action items."""

    company_id: int
    company_name: str
    rank: int
    owner: str
    arr: str | None
    potential_arr: str | None
    penetration: float | None
    known_stakeholders: int
    last_contacted_at: datetime | None
    flags: dict[str, bool]
    key_stakeholders: list[dict]
    note: AccountReviewNote | None = None
    action_items: list[ActionItem] = field(default_factory=list)
    carried_items: list[ActionItem] = field(default_factory=list)


@dataclass
class SessionDetail:
    session: ReviewSession
    rows: list[SessionRow]
    flag_counts: dict[str, int]
    flag_change: dict[str, int | None]
    previous: ReviewSession | None
    carried_over: list[ActionItem]  # the previous session's items; item.is_done tells whether done
    extra_items: list[ActionItem]  # this session's items on accounts not (or no longer) in the snapshot

    @property
    def carried_done(self) -> int:
        return sum(1 for item in self.carried_over if item.is_done)


def team_sessions(*, team: Team) -> QuerySet[ReviewSession]:
    """The team's sessions, newest first, with counts of action items (open, done)."""
    return (
        ReviewSession.objects.filter(team=team)
        .select_related("team", "started_by")
        .annotate(
            action_item_count=Count("action_items", distinct=True),
            action_items_done=Count("action_items", filter=Q(action_items__status=ActionItem.Status.DONE),
                                    distinct=True),
            note_count=Count("account_notes", distinct=True),
        )
        .order_by("-week_start")
    )


def previous_session(*, session: ReviewSession) -> ReviewSession | None:
    """The team's latest session before this one's week."""
    return (
        ReviewSession.objects.filter(team_id=session.team_id, week_start__lt=session.week_start)
        .order_by("-week_start").first()
    )


def _items(session_id: int) -> list[ActionItem]:
    items = list(
        ActionItem.objects.filter(session_id=session_id).select_related("assignee", "company", "created_by")
        .order_by("company_id", "due_date", "id")
    )
    for item in items:
        item.is_done = item.status == ActionItem.Status.DONE
    return items


def _row(data: dict) -> SessionRow:
    last = data.get("last_contacted_at")
    people = []
    for person in data.get("key_stakeholders") or []:
        person = dict(person)
        if person.get("last_contacted_at"):
            person["last_contacted_at"] = parse_datetime(person["last_contacted_at"])
        people.append(person)
    return SessionRow(
        company_id=data["company_id"], company_name=data.get("company_name", ""), rank=data.get("rank", 0),
        owner=data.get("owner", ""), arr=data.get("arr"), potential_arr=data.get("potential_arr"),
        penetration=data.get("penetration"), known_stakeholders=data.get("known_stakeholders", 0),
        last_contacted_at=parse_datetime(last) if last else None,
        flags={key: bool((data.get("flags") or {}).get(key)) for key in FLAG_KEYS},
        key_stakeholders=people,
    )


def session_detail(*, session: ReviewSession) -> SessionDetail:
    """The session's snapshot rows with notes, action items and last week's items (five queries)."""
    snapshot = session.snapshot or {}
    rows = [_row(data) for data in snapshot.get("rows") or []]
    by_company = {row.company_id: row for row in rows}
    for note in AccountReviewNote.objects.filter(session=session).select_related("updated_by"):
        if note.company_id in by_company:
            by_company[note.company_id].note = note
    extra = []
    for item in _items(session.pk):
        if item.company_id in by_company:
            by_company[item.company_id].action_items.append(item)
        else:
            extra.append(item)
    previous = previous_session(session=session)
    carried = _items(previous.pk) if previous is not None else []
    for item in carried:
        if item.company_id in by_company:
            by_company[item.company_id].carried_items.append(item)
    summary = snapshot.get("summary") or {}
    counts = summary.get("flag_counts") or {}
    change = summary.get("flag_change") or {}
    return SessionDetail(
        session=session, rows=rows,
        flag_counts={key: int(counts.get(key, 0)) for key in FLAG_KEYS},
        flag_change={key: change.get(key) for key in FLAG_KEYS},
        previous=previous, carried_over=carried, extra_items=extra,
    )


CSV_HEADER = [
    "rank", "company", "owner", "arr", "potential_arr", "penetration", "known_stakeholders",
    "last_contacted_at", *[FLAG_LABELS[key] for key in FLAG_KEYS], "key_stakeholders", "notes",
    "action_items", "last_week_action_items",
]


def _item_text(item: ActionItem) -> str:
    parts = [item.description, f"[{item.get_status_display()}]"]
    if item.assignee is not None:
        parts.append(f"→ {item.assignee.get_full_name() or item.assignee.get_username()}")
    if item.due_date:
        parts.append(f"due {item.due_date:%Y-%m-%d}")
    return " ".join(parts)


def session_csv_rows(*, session: ReviewSession) -> Iterator[list[str]]:
    """The session as CSV rows (header first): one row per account of the snapshot."""
    detail = session_detail(session=session)
    yield list(CSV_HEADER)
    for row in detail.rows:
        people = "; ".join(
            f"{p.get('name')} ({p.get('role_label')}, "
            f"{'never' if p.get('days_since') is None else str(p.get('days_since')) + ' d'})"
            for p in row.key_stakeholders
        )
        yield [
            str(row.rank), row.company_name, row.owner, row.arr or "", row.potential_arr or "",
            "" if row.penetration is None else f"{row.penetration:.4f}", str(row.known_stakeholders),
            row.last_contacted_at.isoformat() if row.last_contacted_at else "",
            *["yes" if row.flags[key] else "" for key in FLAG_KEYS],
            people, row.note.notes if row.note else "",
            " | ".join(_item_text(i) for i in row.action_items),
            " | ".join(_item_text(i) for i in row.carried_items),
        ]
