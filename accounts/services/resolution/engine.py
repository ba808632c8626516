"""The resolution of product users and workspaces to companies, set-based.

A user's outcome is a function of its own row, its workspaces (their names and their members'
*anchors*) and the run's context — nothing else. An anchor is a company a member is tied to by
strong evidence: a person's decision (confirmed / manual) or the user's email domain. Because no
outcome depends on another user's *name-based* outcome, users can be resolved in any grouping —
all at once, in id-range chunks on several workers, or a handful after a product event — with the
same result.

Order of a run:

1. users by email domain (and the anchors of every user in the selection);
2. the other users (free-mail, or a corporate domain no company owns) from evidence: the company
   name they typed and their colleagues' anchors; for those this does not auto-accept, also the
   names of their workspaces (a weaker hint);
3. workspaces from their members' outcomes (admins weigh more); a workspace whose members do not
   settle it is also matched by its own name.

Manual decisions (status confirmed/rejected, or method manual) are read as anchors and never
written. Only records whose outcome changed are written (see ``writes``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import BigIntegerField, Case, Count, F, IntegerField, Lookup, Q, Sum, Value, When

from accounts.models import ProductUser, Workspace, WorkspaceMembership

from .context import KIND_CORPORATE, KIND_DISPOSABLE, KIND_FREE, KIND_INVALID, ResolutionContext
from .evidence import (
    ADMIN_WEIGHT,
    DOMAIN_CONFIDENCE,
    MEMBER_WEIGHT,
    WORKSPACE_HINT_FACTOR,
    WORKSPACE_NAME_FACTOR,
    Evidence,
    Method,
    Outcome,
    Status,
    clip,
    colleague_evidence,
    combine,
    member_evidence,
    name_evidence,
    quote,
    unmatched,
)
from .writes import outcomes_write

ITERATOR_CHUNK = 20_000
LOCKED = frozenset({Status.CONFIRMED, Status.REJECTED})
ANCHOR_STATUSES = (Status.AUTO, Status.CONFIRMED)
MATCH_COLUMNS = ("company_id", "suggested_company_id", "match_method", "match_confidence", "match_status",
                 "match_reason")
USER_COLUMNS = ("id", "email", "company_name", *MATCH_COLUMNS)
WORKSPACE_COLUMNS = ("id", "name", *MATCH_COLUMNS)

Progress = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class Selection:
    """Which users (or workspaces) a step works on: everything, an id range, or listed ids."""

    lo: int | None = None
    hi: int | None = None
    ids: tuple[int, ...] | None = None

    @property
    def everything(self) -> bool:
        return self.ids is None and self.lo is None and self.hi is None

    def filter(self, qs, field: str = "id") -> Iterator:
        """Querysets covering the selection (several when ids must be split into batches)."""
        if self.ids is not None:
            for batch in _batched(self.ids):
                yield qs.filter(id_filter(field, batch))
            return
        if self.lo is not None:
            qs = qs.filter(**{f"{field}__gte": self.lo})
        if self.hi is not None:
            qs = qs.filter(**{f"{field}__lte": self.hi})
        yield qs


def batch_size() -> int:
    """Ids per IN (...) list: under SQLite's parameter limit; on PostgreSQL they travel as one array."""
    return 200_000 if connection.vendor == "postgresql" else 900


class _AnyOf(Lookup):
    """``field = ANY(%s::bigint[])`` (PostgreSQL): ``id_filter``'s lookup."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", [*params, self.rhs]


def id_filter(field: str, batch: list[int]):
    """A filter: ``field`` is one of these ids. On PostgreSQL ``field = ANY(array)``, the ids as one
    array parameter (tens of thousands of placeholders cost more to build and plan than the query):
    a B-tree scan then takes the ids in order, and a bitmap scan reads each page once — unlike
    ``IN (SELECT unnest(array))``, joined in hash order, a random index descent per id (the members
    of 11,000 workspaces and their 75,000 users: 0.4 s instead of 1.8 s)."""
    if connection.vendor == "postgresql":
        # as an array literal: psycopg adapts a list element by element in Python (200,000 ids:
        # 0.21 s of CPU; joined here: 0.04 s)
        return _AnyOf(F(field), "{" + ",".join(map(str, batch)) + "}")
    return Q(**{f"{field}__in": batch})


def is_locked(method: str, status: str) -> bool:
    return status in LOCKED or method == Method.MANUAL


def _current(row: tuple) -> tuple:
    company_id, suggested_id, method, confidence, status, reason = row
    return (company_id, suggested_id, method, None if confidence is None else round(confidence, 4), status, reason)


def _batched(ids: Iterable[int]) -> Iterator[list[int]]:
    ids = sorted(ids)
    size = batch_size()
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _rows(qs, columns: tuple[str, ...]) -> Iterator[tuple]:
    return qs.order_by().values_list(*columns).iterator(chunk_size=ITERATOR_CHUNK)


# --- the neighbourhood of an incremental run ------------------------------------------------------


class Neighbourhood:
    """The members of some workspaces, with what resolution needs of each member (email, company,
    method, status), read once per incremental run: the closure, the users' colleague evidence and
    the workspaces' member evidence all look here instead of joining memberships to users again.

    The users step records its outcomes here (``settle``), so the workspace step sees the members
    as they are after it — what a full run reads back from the database."""

    def __init__(self) -> None:
        self.members: dict[int, list[tuple[int, str]]] = {}  # workspace → [(user, role)]
        self.people: dict[int, list] = {}  # user → [company_id, method, status, email]
        self.rows: dict[int, tuple] = {}  # user → its ``USER_COLUMNS`` as read (for the users step)
        self.workspaces_of: dict[int, list[int]] = defaultdict(list)  # user → loaded workspaces

    def load(self, workspace_ids: Iterable[int], submit: Callable | None = None) -> None:
        """Read the members of these workspaces (those not read yet). With ``submit`` (a thread
        pool's, each task on its own connection), many workspaces are read as two halves at once."""
        todo = sorted(w for w in set(workspace_ids) if w not in self.members)
        for workspace_id in todo:
            self.members[workspace_id] = []
        if submit is not None and len(todo) >= 2 * PARALLEL_READ_MIN:
            half = len(todo) // 2
            parts = [submit(lambda part=part: list(_member_rows(part))) for part in (todo[:half], todo[half:])]
            chunks = [part.result() for part in parts]
        else:
            chunks = [_member_rows(todo)]
        members, people, workspaces_of, user_rows = self.members, self.people, self.workspaces_of, self.rows
        for rows in chunks:
            for workspace_id, role, *row in rows:
                user_id = row[0]
                members[workspace_id].append((user_id, role))
                workspaces_of[user_id].append(workspace_id)
                if user_id not in people:
                    # row: USER_COLUMNS = id, email, company_name, company_id, suggested_company_id,
                    # match_method, match_confidence, match_status, match_reason
                    people[user_id] = [row[3], row[5], row[7], row[1]]
                    user_rows[user_id] = tuple(row)

    def user_rows(self, ids: Iterable[int]) -> tuple[list[tuple], list[int]]:
        """The ``USER_COLUMNS`` rows of these users read with the members (the users step need not
        read them again), and the ids of those that are not members of a loaded workspace."""
        known = self.rows
        found, missing = [], []
        for user_id in ids:
            row = known.get(user_id)
            if row is None:
                missing.append(user_id)
            else:
                found.append(row)
        return found, missing

    def prefetch_workspaces(self, ids: set[int], submit: Callable | None = None) -> None:
        """Read these workspaces' rows (``WORKSPACE_COLUMNS``) for the steps that need them — through
        ``submit`` (a thread pool's, on another connection, while the users are resolved) or when
        first needed."""
        self._prefetched_ids = frozenset(ids)
        self._prefetch = submit(lambda: workspace_rows(ids)) if submit is not None else None

    def workspace_rows(self, ids: Iterable[int]) -> dict[int, tuple] | None:
        """Prefetched rows, if ``ids`` were all asked for (else None: read them)."""
        wanted = getattr(self, "_prefetched_ids", None)
        if wanted is None or not wanted.issuperset(ids):
            return None
        if self._prefetch is None:
            self._prefetch = _Done(workspace_rows(wanted))
        return self._prefetch.result()

    def settle(self, user_id: int, company_id: int | None, status: str) -> None:
        person = self.people.get(user_id)
        if person is not None:
            person[0], person[2] = company_id, status


PARALLEL_READ_MIN = 1_000  # workspaces per half before a neighbourhood is read on two connections


def _member_rows(workspace_ids: list[int]) -> Iterator[tuple]:
    """(workspace, role, *USER_COLUMNS) of every member of these workspaces: the memberships, then
    their users in one read by id — joined, every member cost a random descent of the users' primary
    key (75,000 members: 1.8 s in PostgreSQL instead of 0.4 s)."""
    for batch in _batched(workspace_ids):
        links = list(_rows(WorkspaceMembership.objects.filter(id_filter("workspace_id", batch)),
                           ("workspace_id", "role", "user_id")))
        users: dict[int, tuple] = {}
        for user_batch in _batched({user_id for _, _, user_id in links}):
            for row in _rows(ProductUser.objects.filter(id_filter("id", user_batch)), USER_COLUMNS):
                users[row[0]] = row
        for workspace_id, role, user_id in links:
            row = users.get(user_id)
            if row is not None:  # else deleted meanwhile (a join would not have found it either)
                yield (workspace_id, role, *row)


class _Done:
    def __init__(self, value) -> None:
        self.value = value

    def result(self):
        return self.value


def workspace_rows(ids: Iterable[int]) -> dict[int, tuple]:
    """``WORKSPACE_COLUMNS`` of these workspaces, by id."""
    found: dict[int, tuple] = {}
    for batch in _batched(ids):
        for row in _rows(Workspace.objects.filter(id_filter("id", batch)), WORKSPACE_COLUMNS):
            found[row[0]] = row
    return found


# --- step 1: email domains ------------------------------------------------------------------------


class DomainStep:
    """Domain outcomes and anchors, cached per email host (many users share one)."""

    def __init__(self, ctx: ResolutionContext) -> None:
        self.ctx = ctx
        self._by_host: dict[str, tuple[Outcome | None, int | None]] = {}

    def host_outcome(self, host: str) -> tuple[Outcome | None, int | None]:
        """(outcome, anchor company) for a host; outcome None: the user needs evidence (step 2)."""
        cached = self._by_host.get(host)
        if cached is not None:
            return cached
        ctx = self.ctx
        registered, kind = ctx.host_info(host)
        if kind == KIND_INVALID:
            cached = (unmatched(f"no usable email domain in {quote(host or '(empty)')}"), None)
        elif kind == KIND_DISPOSABLE:
            cached = (unmatched(f"{registered} is a disposable email domain: not resolved"), None)
        elif kind == KIND_CORPORATE and registered in ctx.domain_owner:
            company_id = ctx.domain_owner[registered]
            name = quote(ctx.company_name(company_id))
            shown = registered if host == registered else f"{host} (registered domain {registered})"
            reason = clip(f"email domain {shown} is owned by {name}")
            cached = (Outcome(company_id, None, Method.DOMAIN, DOMAIN_CONFIDENCE, Status.AUTO, reason), company_id)
        else:
            cached = (None, None)
        self._by_host[host] = cached
        return cached

    def anchor(self, email: str, company_id: int | None, method: str, status: str) -> int | None:
        if is_locked(method, status):
            return company_id
        return self.host_outcome(_host(email))[1]


def _host(email: str) -> str:
    if "@" not in email:
        return ""
    host = email.rsplit("@", 1)[1]
    if host != host.strip().lower().strip("."):
        host = "".join(host.split()).lower().strip(".")
    return host


# --- users ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Pending:
    id: int
    company_name: str
    host: str
    registered: str | None
    kind: str
    current: tuple


def users_resolve(*, ctx: ResolutionContext, selection: Selection, progress: Progress | None = None,
                  neighbourhood: Neighbourhood | None = None,
                  writer: Callable[[list[tuple]], int] | None = None) -> Counter:
    """Resolve the selected users; returns counts by "status", "method:<m>" and "changed".

    With a ``neighbourhood`` holding every workspace of the selected users (an incremental run),
    memberships and colleagues are read from it, and the outcomes are recorded in it. ``writer``
    (default ``outcomes_write``) writes changed rows and returns how many it wrote; one that writes
    in the background is given the domain step's rows first, then the others'."""
    domains = DomainStep(ctx)
    counts: Counter = Counter()
    changes: list[tuple] = []
    anchors: dict[int, int] = {}
    pending: list[_Pending] = []
    seen = 0

    settle = neighbourhood.settle if neighbourhood is not None else None

    def record(user_id: int, outcome: Outcome, current: tuple) -> None:
        if settle is not None:
            settle(user_id, outcome.company_id, outcome.status)
        counts[outcome.status] += 1
        counts[f"method:{outcome.method or 'none'}"] += 1
        row = outcome.row()
        if row != current:
            changes.append((user_id, *row))

    # 1. email domains: most users; their outcome is their host's, so it is counted per host
    by_host: dict[str, tuple[Outcome | None, int | None, tuple | None]] = {}
    host_counts: Counter = Counter()
    manual = Method.MANUAL
    if neighbourhood is not None and selection.ids is not None:
        # the rows of the members of the neighbourhood's workspaces were read with them
        read, missing = neighbourhood.user_rows(selection.ids)
        sources = [read, *(_rows(qs, USER_COLUMNS) for qs in Selection(ids=tuple(missing)).filter(
            ProductUser.objects.all()))] if missing else [read]
    else:
        sources = (_rows(qs, USER_COLUMNS) for qs in selection.filter(ProductUser.objects.all()))
    for rows in sources:
        for user_id, email, company_name, *match in rows:
            seen += 1
            if progress and seen % 50_000 == 0:
                progress("users", seen)
            company_id, _, method, _, status, _ = match
            if status in LOCKED or method == manual:
                counts["locked"] += 1
                if company_id is not None:
                    anchors[user_id] = company_id
                continue
            host = _host(email)
            known = by_host.get(host)
            if known is None:
                outcome, anchor = domains.host_outcome(host)
                known = by_host[host] = (outcome, anchor, outcome.row() if outcome is not None else None)
            outcome, anchor, row = known
            if outcome is not None:
                if anchor is not None:
                    anchors[user_id] = anchor
                if settle is not None:
                    settle(user_id, outcome.company_id, outcome.status)
                host_counts[host] += 1
                if tuple(match) != row and _current(match) != row:
                    changes.append((user_id, *row))
                continue
            registered, kind = ctx.host_info(host)
            pending.append(_Pending(user_id, company_name, host, registered, kind, _current(match)))
    for host, n in host_counts.items():
        outcome = by_host[host][0]
        counts[outcome.status] += n
        counts[f"method:{outcome.method or 'none'}"] += n
    if progress:
        progress("users", seen)
    if writer is not None and changes:
        # a writer that works in the background starts on the domain step's rows at once
        counts["changed"] += writer(changes[:])
        changes.clear()

    # 2. evidence for the others
    if pending:
        for user_id, outcome, current in _evidence_outcomes(ctx, domains, pending, anchors, selection,
                                                            neighbourhood):
            record(user_id, outcome, current)

    counts["changed"] += writer(changes) if writer is not None else outcomes_write(ProductUser, changes)
    return counts


def _evidence_outcomes(ctx, domains: DomainStep, pending: list[_Pending], anchors: dict[int, int],
                       selection: Selection, neighbourhood: Neighbourhood | None
                       ) -> Iterator[tuple[int, Outcome, tuple]]:
    pending_ids = {p.id for p in pending}
    # the workspaces of the pending users, and every member of those workspaces
    user_workspaces: dict[int, list[int]] = defaultdict(list)
    if selection.everything:
        members: dict[int, list[int]] = defaultdict(list)
        for workspace_id, user_id in _rows(WorkspaceMembership.objects.all(), ("workspace_id", "user_id")):
            members[workspace_id].append(user_id)
            if user_id in pending_ids:
                user_workspaces[user_id].append(workspace_id)
        members = {w: m for w, m in members.items() if any(u in pending_ids for u in m)}
    elif neighbourhood is not None:
        workspaces_of, loaded = neighbourhood.workspaces_of, neighbourhood.members
        members = {}
        for user_id in pending_ids:
            found = workspaces_of.get(user_id)
            if found:
                user_workspaces[user_id] = list(found)
                for workspace_id in found:
                    if workspace_id not in members:
                        members[workspace_id] = [u for u, _ in loaded[workspace_id]]
        outside = {u for m in members.values() for u in m} - pending_ids - anchors.keys()
        if selection.ids is not None:
            outside -= set(selection.ids)
        # Members outside the selection are neither new nor changed since the last run (those are
        # all selected), so a resolved one's stored outcome is what its email domain gives it now:
        # a change of domains or rules would have made the run a full one, and a domain registered
        # since selects its users. Its anchor is read from it, without parsing its address.
        people = neighbourhood.people
        domain, auto, unresolved = Method.DOMAIN, Status.AUTO, Status.UNRESOLVED
        for user_id in outside:
            company_id, method, status, email = people[user_id]
            if status == unresolved:  # not resolved yet (product_users_resolve between runs)
                anchor = domains.anchor(email, company_id, method, status)
                if anchor is not None:
                    anchors[user_id] = anchor
            elif company_id is not None and (status in LOCKED or method == Method.MANUAL
                                             or (method == domain and status == auto)):
                anchors[user_id] = company_id
    else:
        for batch in _batched(pending_ids):
            rows = WorkspaceMembership.objects.filter(id_filter("user_id", batch))
            for user_id, workspace_id in _rows(rows, ("user_id", "workspace_id")):
                user_workspaces[user_id].append(workspace_id)
        members = defaultdict(list)
        for batch in _batched({w for ws in user_workspaces.values() for w in ws}):
            rows = WorkspaceMembership.objects.filter(id_filter("workspace_id", batch))
            for workspace_id, user_id in _rows(rows, ("workspace_id", "user_id")):
                members[workspace_id].append(user_id)
        # anchors of members outside the selection, worked out exactly as for those inside it
        outside = {u for m in members.values() for u in m} - pending_ids - anchors.keys()
        if selection.ids is not None:
            outside -= set(selection.ids)
        for batch in _batched(outside):
            rows = ProductUser.objects.filter(id_filter("id", batch))
            for user_id, email, company_id, method, status in _rows(
                rows, ("id", "email", "company_id", "match_method", "match_status")
            ):
                anchor = domains.anchor(email, company_id, method, status)
                if anchor is not None:
                    anchors[user_id] = anchor

    workspace_names: dict[int, str] = {}
    prefetched = neighbourhood.workspace_rows(members.keys()) if neighbourhood is not None else None
    if prefetched is not None:
        workspace_names = {w: prefetched[w][1] for w in members if w in prefetched}
    else:
        for batch in _batched(members.keys()):
            workspace_names.update(Workspace.objects.filter(id_filter("id", batch)).order_by().values_list("id", "name"))
    sizes = {w: len(m) for w, m in members.items()}
    anchor_counts: dict[int, Counter] = {}
    for workspace_id, member_ids in members.items():
        found = Counter(anchors[u] for u in member_ids if u in anchors)
        if found:
            anchor_counts[workspace_id] = found

    auto = ctx.thresholds.auto
    factor = ctx.thresholds.colleague_factor
    names = ctx.company_names

    def own_evidence(user: _Pending) -> tuple[list[Evidence], list[str]]:
        """The typed name and the colleagues."""
        evidence: list[Evidence] = []
        notes: list[str] = []
        if user.company_name.strip():
            decision = ctx.decision(user.company_name)
            found = name_evidence(decision, method=Method.NAME, factor=1.0, label="", auto=auto)
            evidence += found
            if not found:
                notes.append(decision.reason)
        for workspace_id in sorted(user_workspaces.get(user.id, ())):
            evidence += colleagues(workspace_id)
        return evidence, notes

    colleague_cache: dict[int, list[Evidence]] = {}

    def colleagues(workspace_id: int) -> list[Evidence]:
        """The same for every pending member of a workspace (pending members are no anchors)."""
        found = colleague_cache.get(workspace_id)
        if found is None:
            others = sizes.get(workspace_id, 1) - 1
            found_anchors = anchor_counts.get(workspace_id)
            found = colleague_cache[workspace_id] = colleague_evidence(
                workspace_name=workspace_names.get(workspace_id, ""), others=others, anchors=found_anchors,
                factor=factor, names=names,
            ) if others > 0 and found_anchors else []
        return found

    def outcome_of(user: _Pending, evidence: list[Evidence], notes: list[str]) -> Outcome:
        why = (f"{user.registered} is a free-mail domain" if user.kind == KIND_FREE
               else f"no CRM company owns {user.registered}")
        if not evidence:
            return unmatched("; ".join([why, *notes, "no company name, workspace or colleague evidence"
                                        if not notes else "no workspace or colleague evidence"]))
        outcome = combine(evidence, thresholds=ctx.thresholds, names=names, nothing="")
        return Outcome(outcome.company_id, outcome.suggested_company_id, outcome.method, outcome.confidence,
                       outcome.status, clip("; ".join([why, outcome.reason, *notes])))

    # A person's own evidence first; the names of their workspaces are a hint consulted only for
    # those it does not settle (deciding every workspace name would double the name matching).
    ctx.decide_many(p.company_name for p in pending)
    unsettled: list[tuple[_Pending, list[Evidence], list[str]]] = []
    for user in pending:
        evidence, notes = own_evidence(user)
        outcome = outcome_of(user, evidence, notes)
        if outcome.status == Status.AUTO:
            yield user.id, outcome, user.current
        else:
            unsettled.append((user, evidence, notes))
    ctx.decide_many(workspace_names[w] for user, _, _ in unsettled for w in user_workspaces.get(user.id, ())
                    if w in workspace_names)
    for user, evidence, notes in unsettled:
        for workspace_id in sorted(user_workspaces.get(user.id, ())):
            name = workspace_names.get(workspace_id, "")
            if name.strip():
                found = name_evidence(ctx.decision(name), method=Method.WORKSPACE, factor=WORKSPACE_HINT_FACTOR,
                                      label="", auto=auto)
                evidence += [Evidence(e.company_id, e.confidence, e.method, _workspace_reason(e.reason))
                             for e in found]
        yield user.id, outcome_of(user, evidence, notes), user.current


def _workspace_reason(reason: str) -> str:
    if reason.startswith("typed "):
        return "workspace " + reason[len("typed "):]
    if reason.startswith("ambiguous: typed "):
        return "ambiguous: workspace " + reason[len("ambiguous: typed "):]
    return "workspace: " + reason


# --- workspaces -----------------------------------------------------------------------------------


def workspaces_resolve(*, ctx: ResolutionContext, selection: Selection,
                       neighbourhood: Neighbourhood | None = None) -> Counter:
    """Resolve the selected workspaces from their members' current outcomes (run it after the users;
    with a ``neighbourhood``, the members are read from it)."""
    counts: Counter = Counter()
    changes: list[tuple] = []
    workspaces: list[tuple] = []
    prefetched = (neighbourhood.workspace_rows(selection.ids)
                  if neighbourhood is not None and selection.ids is not None else None)
    if prefetched is not None:
        sources = [[prefetched[w] for w in sorted(selection.ids) if w in prefetched]]
    else:
        sources = (_rows(qs, WORKSPACE_COLUMNS) for qs in selection.filter(Workspace.objects.all()))
    for rows in sources:
        for workspace_id, name, *match in rows:
            company_id, _, method, _, status, _ = match
            if is_locked(method, status):
                counts["locked"] += 1
                continue
            workspaces.append((workspace_id, name, _current(match)))
    if not workspaces:
        return counts

    sizes: dict[int, int] = {}
    weights: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    weight = Case(When(role=WorkspaceMembership.Role.ADMIN, then=Value(ADMIN_WEIGHT)), default=Value(MEMBER_WEIGHT),
                  output_field=IntegerField())
    if neighbourhood is not None:
        neighbourhood.load(w[0] for w in workspaces)
        people = neighbourhood.people
        for workspace_id, _, _ in workspaces:
            members = neighbourhood.members[workspace_id]
            if not members:
                continue
            sizes[workspace_id] = len(members)
            for user_id, role in members:
                company_id, _, status, _ = people[user_id]
                if company_id is not None and status in ANCHOR_STATUSES:
                    total, n = weights[workspace_id].get(company_id, (0, 0))
                    weights[workspace_id][company_id] = (
                        total + (ADMIN_WEIGHT if role == WorkspaceMembership.Role.ADMIN else MEMBER_WEIGHT), n + 1)
    # a range (a chunk of a full run) is aggregated as a range: the same rows, without a list of ids.
    # One pass over memberships ⋈ users gives both the members per workspace and the weight per
    # anchor company (group "no anchor": members not tied to a company) — two queries read the
    # memberships twice (a full run's half: 1.3 s for the sizes alone on PostgreSQL).
    anchor = Case(When(user__company__isnull=False, user__match_status__in=ANCHOR_STATUSES,
                       then=F("user__company_id")), default=Value(None), output_field=BigIntegerField())
    scope = Selection(ids=tuple(w[0] for w in workspaces)) if selection.ids is not None else selection
    for qs in scope.filter(WorkspaceMembership.objects.all(), "workspace_id") if neighbourhood is None else ():
        grouped = (
            qs.order_by()
            .values("workspace_id", anchor_company=anchor)
            .annotate(weight=Sum(weight), n=Count("id"))
            .values_list("workspace_id", "anchor_company", "weight", "n")
        )
        for workspace_id, company_id, total, n in grouped:
            sizes[workspace_id] = sizes.get(workspace_id, 0) + n
            if company_id is not None:
                weights[workspace_id][company_id] = (total, n)

    names = ctx.company_names
    thresholds = ctx.thresholds
    outcomes: dict[int, Outcome] = {}
    by_name: list[tuple[int, str, list[Evidence]]] = []
    for workspace_id, name, _ in workspaces:
        evidence = member_evidence(members=sizes[workspace_id], weights=weights[workspace_id], names=names) \
            if workspace_id in weights else []
        outcome = combine(evidence, thresholds=thresholds, names=names, nothing="")
        if outcome.status == Status.AUTO:
            outcomes[workspace_id] = outcome
        else:  # members do not settle it: the workspace's own name may
            by_name.append((workspace_id, name, evidence))
    ctx.decide_many([name for _, name, _ in by_name])
    for workspace_id, name, evidence in by_name:
        members = sizes.get(workspace_id, 0)
        if name.strip():
            decision = ctx.decision(name)
            found = name_evidence(decision, method=Method.NAME, factor=WORKSPACE_NAME_FACTOR, label="",
                                  auto=thresholds.auto)
            evidence = evidence + [Evidence(e.company_id, e.confidence, e.method, _workspace_reason(e.reason))
                                   for e in found]
            name_note = _workspace_reason(decision.reason) if not found else ""
        else:
            name_note = "the workspace has no name"
        member_note = ("no members" if not members else
                       f"none of its {members} members resolves to a company" if workspace_id not in weights else "")
        nothing = "; ".join(n for n in (member_note, name_note) if n)
        outcomes[workspace_id] = combine(evidence, thresholds=thresholds, names=names, nothing=nothing)
    for workspace_id, _, current in workspaces:
        outcome = outcomes[workspace_id]
        counts[outcome.status] += 1
        counts[f"method:{outcome.method or 'none'}"] += 1
        row = outcome.row()
        if row != current:
            changes.append((workspace_id, *row))
    counts["changed"] += outcomes_write(Workspace, changes)
    return counts
