"""Who gets a new play.

Rule ``owner`` (the default): the account owner, when they have room under the playbook's per-rep
open-play limit; otherwise — no owner, or the owner is at the limit — round-robin among the reps of
the playbook's owner team (the owner's own team when the playbook names none). Rule ``round_robin``:
always round-robin in the owner team.

Round-robin walks the team's reps (Rep role, active, by id) starting after the rep who got the
previous round-robin play of this playbook, skipping reps at the limit. The limit counts a rep's
open plays of every playbook (their inbox). When nobody has room, the play stays unassigned and the
run counts it; a manager assigns it by hand.

Everything is loaded up front in three queries, whatever the number of plays.
"""
from collections import defaultdict

from django.db.models import Count

from accounts.models import Profile
from playbooks.models import Play, Playbook
from revops import roles


class Assigner:
    def __init__(self, *, playbook: Playbook, owner_ids: set[int]):
        self.playbook = playbook
        self.limit = playbook.max_open_plays_per_rep
        self.open_counts: dict[int, int] = {
            row["assignee"]: row["n"]
            for row in Play.objects.filter(status__in=Play.OPEN_STATES, assignee__isnull=False)
            .order_by().values("assignee").annotate(n=Count("pk"))
        }
        owner_ids = {pk for pk in owner_ids if pk}
        self.owner_team: dict[int, int | None] = dict(
            Profile.objects.filter(user_id__in=owner_ids).values_list("user_id", "team_id")
        ) if owner_ids else {}
        teams = {t for t in self.owner_team.values() if t}
        if playbook.owner_team_id:
            teams.add(playbook.owner_team_id)
        self.team_reps: dict[int, list[int]] = defaultdict(list)
        if teams:
            reps = (
                Profile.objects.filter(team_id__in=teams, user__is_active=True, user__groups__name=roles.REP)
                .order_by("user_id").values_list("team_id", "user_id").distinct()
            )
            for team_id, user_id in reps:
                self.team_reps[team_id].append(user_id)
        self.last_round_robin: int | None = playbook.round_robin_last_id

    def has_room(self, user_id: int) -> bool:
        return self.limit is None or self.open_counts.get(user_id, 0) < self.limit

    def _take(self, user_id: int) -> int:
        self.open_counts[user_id] = self.open_counts.get(user_id, 0) + 1
        return user_id

    def _round_robin(self, team_id: int | None) -> int | None:
        reps = self.team_reps.get(team_id) if team_id else None
        if not reps:
            return None
        start = 0
        if self.last_round_robin in reps:
            start = reps.index(self.last_round_robin) + 1
        elif self.last_round_robin is not None:
            start = sum(1 for rep in reps if rep < self.last_round_robin)
        for offset in range(len(reps)):
            candidate = reps[(start + offset) % len(reps)]
            if self.has_room(candidate):
                self.last_round_robin = candidate
                return self._take(candidate)
        return None

    def assign(self, owner_id: int | None) -> int | None:
        if self.playbook.assignment == Playbook.Assignment.OWNER and owner_id and self.has_room(owner_id):
            return self._take(owner_id)
        team_id = self.playbook.owner_team_id or self.owner_team.get(owner_id)
        return self._round_robin(team_id)
