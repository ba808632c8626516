"""REST endpoints of the stakeholders area (/api/v1/…).

* ``stakeholders`` and ``interactions``: any signed-in user reads, adds stakeholders and logs
  interactions on any account; editing and deleting follow the services' rules (a rep their own
  interactions, a manager their team's, admins everything; stakeholders: the account's owner, their
  manager, the creator, admins) — refusals are 403. Deleting a stakeholder keeps the interactions.
* ``weekly-review/`` (read): a team's top accounts with key stakeholders, flags and the summary.
* ``review-sessions`` and ``action-items``: the weekly session (start, notes, close) and its action
  items; the team's manager and admins write, the team's reps read (and an assignee moves their item).

Filters: stakeholders by company, owner, role, stale_since (not contacted since a date, never
included), is_active, key, q; interactions by company, owner, logged_by, stakeholder, role, channel,
since, until, next_step_open.
"""
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Company, ProductUser, Team
from revops.api import FilterBackend, StrictBooleanField, StrictModelSerializer, own_columns
from revops.pagination import AccountGroupedPagination, FeedPagination
from revops.roles import is_manager, is_revops_admin, managed_team_ids
from revops.timezones import days_since, local_today, user_zone
from stakeholders.filters import InteractionFilter, StakeholderFilter
from stakeholders.models import ActionItem, Interaction, ReviewSession, Stakeholder
from stakeholders.selectors.metrics import FLAGS, freshness
from stakeholders.selectors.review import (
    DEFAULT_TOP_N,
    MAX_TOP_N,
    NAME_COLUMNS,
    RANKINGS,
    ReviewAccount,
    review_account,
    review_accounts,
    review_summary,
    review_team_for,
    user_display,
)
from stakeholders.selectors.sessions import session_detail
from stakeholders.selectors.stakeholders import interaction_participants_prefetch
from stakeholders.services import (
    action_item_create,
    action_item_delete,
    action_item_update,
    can_change_interaction,
    can_change_stakeholder,
    interaction_delete,
    interaction_log,
    interaction_update,
    next_step_complete,
    review_note_save,
    review_session_close,
    review_session_start,
    review_session_update,
    stakeholder_create,
    stakeholder_delete,
    stakeholder_update,
)

UNRANKED = 32_767  # sorts after every key rank (1–5)

User = get_user_model()


def _days(request, moment):
    cache = request.__dict__.setdefault("_stakeholders_zone", {})
    if "zone" not in cache:
        cache["zone"], cache["today"] = user_zone(request.user), local_today(request.user)
    return days_since(moment, zone=cache["zone"], today=cache["today"])


def visible_team_ids(user) -> set[int] | None:
    """Teams whose reviews ``user`` may read: all for admins (None), else managed teams and their own team."""
    if is_revops_admin(user):
        return None
    ids = set(Team.objects.filter(members__user=user).values_list("id", flat=True))
    if is_manager(user):
        ids |= managed_team_ids(user)
    return ids


# --- stakeholders -----------------------------------------------------------------------------------

class StakeholderSerializer(StrictModelSerializer):
    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())
    reports_to = serializers.PrimaryKeyRelatedField(queryset=Stakeholder.objects.all(), allow_null=True,
                                                    required=False)
    product_user = serializers.PrimaryKeyRelatedField(queryset=ProductUser.objects.all(), allow_null=True,
                                                      required=False)
    # a method field: as a source, DRF inspects get_role_display's signature for every row (~10 ms a page)
    role_label = serializers.SerializerMethodField()
    last_contacted_by_name = serializers.SerializerMethodField()
    days_since_contact = serializers.SerializerMethodField()
    freshness = serializers.SerializerMethodField()
    can_edit = serializers.SerializerMethodField()

    class Meta:
        model = Stakeholder
        fields = [
            "id", "company", "external_id", "name", "email", "title", "department", "role", "role_label",
            "influence", "sentiment", "reports_to", "key_rank", "is_active", "left_at", "product_user",
            "last_contacted_at", "last_contacted_by", "last_contacted_by_name", "days_since_contact", "freshness",
            "can_edit", "created_at", "updated_at",
        ]
        read_only_fields = ["last_contacted_at", "last_contacted_by", "created_at", "updated_at"]
        extra_kwargs = {"influence": {"min_value": 1, "max_value": 5}}  # the stakeholder_influence_1_5 constraint
        validators = []  # uniqueness is the service's to check, with a readable message

    def get_role_label(self, obj) -> str:
        return obj.get_role_display()

    def get_last_contacted_by_name(self, obj) -> str:
        return user_display(obj.last_contacted_by)

    def get_days_since_contact(self, obj) -> int | None:
        return _days(self.context["request"], obj.last_contacted_at)

    def get_freshness(self, obj) -> str:
        return freshness(self.get_days_since_contact(obj))

    def get_can_edit(self, obj) -> bool:
        return can_change_stakeholder(self.context["request"].user, obj)


class StakeholderViewSet(viewsets.ModelViewSet):
    serializer_class = StakeholderSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = [FilterBackend]
    filterset_class = StakeholderFilter
    pagination_class = AccountGroupedPagination  # by cursor, no COUNT of every stakeholder
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Stakeholder]:
        # unranked people after the ranked ones on every database (SQLite sorts NULL first); the
        # pagination orders by it: by account, key rank, name, id
        people = Stakeholder.objects.select_related("company", "last_contacted_by").annotate(
            key_order=Coalesce("key_rank", Value(UNRANKED))).order_by("company_id", "key_order", "name", "id")
        if self.action == "list":
            # a page shows the account by id (its owner decides can_edit) and who last made contact by
            # name: not their whole rows. Writes keep whole rows for the services.
            people = people.only(*own_columns(Stakeholder), "company__owner_id",
                                 *(f"last_contacted_by__{column}" for column in NAME_COLUMNS))
        return people

    def _fields(self, data: dict) -> dict:
        data.pop("company", None)
        return data

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        company = data.pop("company")
        person = stakeholder_create(company=company, by=request.user, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=person.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        person = self.get_object()
        serializer = self.get_serializer(person, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "company" in data and data["company"].pk != person.company_id:
            raise serializers.ValidationError({"company": ["A stakeholder cannot move to another company."]})
        stakeholder_update(stakeholder=person, by=request.user, **self._fields(data))
        return Response(self.get_serializer(self.get_queryset().get(pk=person.pk)).data)

    def destroy(self, request, *args, **kwargs):
        stakeholder_delete(stakeholder=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- interactions -----------------------------------------------------------------------------------

class ParticipantSerializer(serializers.Serializer):
    stakeholder = serializers.IntegerField(source="stakeholder_id", allow_null=True)
    name = serializers.CharField(source="stakeholder_name")


class InteractionSerializer(StrictModelSerializer):
    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())
    stakeholders = serializers.ListField(child=serializers.IntegerField(), write_only=True, allow_empty=False)
    participants = ParticipantSerializer(many=True, read_only=True)
    logged_by_name = serializers.SerializerMethodField()
    occurred_at = serializers.DateTimeField(required=False)
    can_edit = serializers.SerializerMethodField()

    class Meta:
        model = Interaction
        fields = [
            "id", "company", "external_id", "stakeholders", "participants", "logged_by", "logged_by_name",
            "channel", "occurred_at", "summary", "next_step", "next_step_due", "next_step_done_at", "can_edit",
            "created_at", "updated_at",
        ]
        read_only_fields = ["logged_by", "next_step_done_at", "created_at", "updated_at"]
        validators = []

    def get_logged_by_name(self, obj) -> str:
        return user_display(obj.logged_by)

    def get_can_edit(self, obj) -> bool:
        return can_change_interaction(self.context["request"].user, obj)


class NextStepSerializer(serializers.Serializer):
    done = StrictBooleanField(default=True)


class InteractionViewSet(viewsets.ModelViewSet):
    serializer_class = InteractionSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = [FilterBackend]
    filterset_class = InteractionFilter
    pagination_class = FeedPagination  # newest first by cursor: stable while contacts are logged, no COUNT
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Interaction]:
        # Every interaction, as the account pages show them to every signed-in user: a change to one
        # that is not the user's is 403 (can_change_interaction), not 404.
        return (
            # the company and the participants' stakeholders are shown by id only: not joined (a page's
            # 50 companies and their columns were a fifth of its time)
            Interaction.objects.select_related("logged_by")
            .prefetch_related(interaction_participants_prefetch(stakeholders=False))
            .order_by("-occurred_at", "-id")
        )

    def _respond(self, pk: int, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        interaction = interaction_log(by=request.user, **data)
        return self._respond(interaction.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        interaction = self.get_object()
        if not can_change_interaction(request.user, interaction):
            raise PermissionDenied("Only the rep who logged this interaction, their manager or an admin may change it.")
        serializer = self.get_serializer(interaction, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "company" in data and data.pop("company").pk != interaction.company_id:
            raise serializers.ValidationError({"company": ["An interaction cannot move to another company."]})
        interaction_update(interaction=interaction, by=request.user, stakeholders=data.pop("stakeholders", None),
                           **data)
        return self._respond(interaction.pk)

    def destroy(self, request, *args, **kwargs):
        interaction_delete(interaction=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=NextStepSerializer, responses={200: InteractionSerializer})
    @action(detail=True, methods=["post"], url_path="next-step")
    def next_step(self, request, pk=None):
        """Mark the next step done (``{"done": false}`` opens it again)."""
        serializer = NextStepSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        next_step_complete(interaction=self.get_object(), by=request.user, done=serializer.validated_data["done"])
        return self._respond(int(pk))


# --- the weekly review (read) -------------------------------------------------------------------------

def review_account_data(account: ReviewAccount) -> dict:
    company = account.company
    return {
        "rank": account.rank,
        "company": {"id": company.pk, "name": company.name, "external_id": company.external_id},
        "owner": {"id": company.owner_id, "name": user_display(company.owner)} if company.owner_id else None,
        "arr": str(company.arr) if getattr(company, "arr", None) is not None else None,
        "potential_arr": str(company.potential_arr) if company.potential_arr is not None else None,
        "penetration": getattr(company, "penetration", None),
        "known_stakeholders": account.known_stakeholders,
        "last_contacted_at": account.last_contacted_at,
        "flags": account.flags,
        "key_stakeholders": [
            {"id": k.id, "name": k.name, "title": k.title, "role": k.role, "role_label": k.role_label,
             "last_contacted_at": k.last_contacted_at, "last_contacted_by": k.last_contacted_by,
             "days_since": k.days_since, "freshness": k.freshness}
            for k in account.key_stakeholders
        ],
        "open_action_items": [
            {"id": i.pk, "description": i.description, "assignee": i.assignee_id,
             "assignee_name": user_display(i.assignee), "due_date": i.due_date, "session": i.session_id,
             "week_start": i.session.week_start}
            for i in account.open_action_items
        ],
    }


class WeeklyReviewApi(APIView):
    """GET: the team's top accounts (``team``, ``ranking``, ``top_n``) with the team summary."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[
        OpenApiParameter("team", int, description="Team id (admins and managers of several teams)."),
        OpenApiParameter("ranking", str, enum=list(RANKINGS)),
        OpenApiParameter("top_n", int, description=f"1–{MAX_TOP_N}, default {DEFAULT_TOP_N}."),
    ], responses={200: dict})
    def get(self, request):
        params = request.query_params
        empty = [name for name in ("team", "ranking", "top_n") if params.get(name) == ""]
        if empty:  # as the filters: an empty parameter is refused, not read as "not given"
            raise serializers.ValidationError({name: ["Empty: give a value or leave the parameter out."]
                                               for name in empty})
        ranking = params.get("ranking", "potential")
        if ranking not in RANKINGS:
            raise serializers.ValidationError({"ranking": [f"Choose one of {', '.join(RANKINGS)}."]})
        try:
            top_n = int(params.get("top_n", DEFAULT_TOP_N))
            team_id = int(params["team"]) if "team" in params else None
        except ValueError:
            raise serializers.ValidationError({"non_field_errors": ["team and top_n are whole numbers."]}) from None
        if not 1 <= top_n <= MAX_TOP_N:
            raise serializers.ValidationError({"top_n": [f"Between 1 and {MAX_TOP_N}."]})
        team = review_team_for(request.user, team_id)
        if team is None:
            raise PermissionDenied("You have no team review to see (or not this team's).")
        now = timezone.now()
        accounts = review_accounts(team=team, ranking=ranking, top_n=top_n, viewer=request.user, now=now)
        summary = review_summary(team=team, accounts=accounts, now=now, viewer=request.user)
        return Response({
            "team": {"id": team.pk, "name": team.name},
            "ranking": ranking,
            "top_n": top_n,
            "flags": [{"key": key, "label": label, "help": text} for key, label, text in FLAGS],
            "summary": {"accounts": summary.accounts, "flag_counts": summary.flag_counts,
                        "flag_change": summary.flag_change},
            "accounts": [review_account_data(a) for a in accounts],
        })


class WeeklyReviewAccountApi(APIView):
    """GET: one account's review row (fresh figures), e.g. after logging a contact."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: dict})
    def get(self, request, company_id: int):
        company = get_object_or_404(Company, pk=company_id)
        return Response(review_account_data(review_account(company=company, viewer=request.user)))


# --- review sessions and action items ---------------------------------------------------------------

class ActionItemSerializer(StrictModelSerializer):
    session = serializers.PrimaryKeyRelatedField(queryset=ReviewSession.objects.all())
    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), allow_null=True,
                                                  required=False)
    assignee_name = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = ["id", "session", "company", "description", "assignee", "assignee_name", "due_date", "status",
                  "completed_at", "created_by", "created_at"]
        read_only_fields = ["completed_at", "created_by", "created_at"]

    def get_assignee_name(self, obj) -> str:
        return user_display(obj.assignee)


class ReviewSessionSerializer(StrictModelSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    ranking = serializers.ChoiceField(choices=ReviewSession.Ranking.choices, default="potential")
    top_n = serializers.IntegerField(min_value=1, max_value=MAX_TOP_N, default=DEFAULT_TOP_N)

    class Meta:
        model = ReviewSession
        fields = ["id", "team", "week_start", "ranking", "top_n", "status", "notes", "started_by", "started_at",
                  "closed_at"]
        read_only_fields = ["week_start", "status", "started_by", "started_at", "closed_at"]


class AccountNoteSerializer(serializers.Serializer):
    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())
    notes = serializers.CharField(allow_blank=True)


class SessionCloseSerializer(serializers.Serializer):
    notes = serializers.CharField(allow_blank=True, required=False)


def _item_data(item: ActionItem) -> dict:
    return {"id": item.pk, "company": item.company_id, "description": item.description,
            "assignee": item.assignee_id, "assignee_name": user_display(item.assignee), "due_date": item.due_date,
            "status": item.status, "done": item.status == ActionItem.Status.DONE, "completed_at": item.completed_at}


class ReviewSessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                           mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Sessions of the teams the user may see. POST starts this week's (idempotent: 200 with the
    existing one); PATCH changes the general notes; retrieve returns the snapshot rows with notes,
    action items and last week's items (``carried_over``, each with ``done``)."""

    serializer_class = ReviewSessionSerializer
    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["team", "status"]
    filter_backends = [FilterBackend]

    def get_queryset(self) -> QuerySet[ReviewSession]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user to scope by
            return ReviewSession.objects.none()
        qs = ReviewSession.objects.select_related("team", "started_by").order_by("-week_start", "team_id")
        teams = visible_team_ids(self.request.user)
        return qs if teams is None else qs.filter(team_id__in=teams)

    @extend_schema(responses={200: ReviewSessionSerializer, 201: ReviewSessionSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        existed = ReviewSession.objects.filter(team=data["team"]).values_list("id", flat=True)
        before = set(existed)
        session = review_session_start(team=data["team"], by=request.user, ranking=data["ranking"],
                                       top_n=data["top_n"])
        code = status.HTTP_200_OK if session.pk in before else status.HTTP_201_CREATED
        return Response(self.get_serializer(session).data, status=code)

    def partial_update(self, request, *args, **kwargs):
        session = self.get_object()
        notes = request.data.get("notes")
        if notes is None:
            raise serializers.ValidationError({"notes": ["Only the session's notes can be changed here."]})
        if not isinstance(notes, str):
            raise serializers.ValidationError({"notes": ["Send the notes as text."]})
        review_session_update(session=session, by=request.user, notes=notes)
        return Response(self.get_serializer(session).data)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            return self.partial_update(request, *args, **kwargs)
        return super().update(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        session = self.get_object()
        detail = session_detail(session=session)
        return Response({
            **self.get_serializer(session).data,
            "summary": {"flag_counts": detail.flag_counts, "flag_change": detail.flag_change},
            "snapshot_taken_at": (session.snapshot or {}).get("taken_at"),
            "rows": [
                {
                    "rank": row.rank, "company": row.company_id, "company_name": row.company_name,
                    "owner": row.owner, "arr": row.arr, "potential_arr": row.potential_arr,
                    "penetration": row.penetration, "known_stakeholders": row.known_stakeholders,
                    "last_contacted_at": row.last_contacted_at, "flags": row.flags,
                    "key_stakeholders": row.key_stakeholders, "notes": row.note.notes if row.note else "",
                    "action_items": [_item_data(i) for i in row.action_items],
                    "carried_items": [_item_data(i) for i in row.carried_items],
                }
                for row in detail.rows
            ],
            "previous_session": detail.previous.pk if detail.previous else None,
            "carried_over": [_item_data(i) for i in detail.carried_over],
            "other_action_items": [_item_data(i) for i in detail.extra_items],
        })

    @extend_schema(request=AccountNoteSerializer, responses={200: AccountNoteSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        """Create or replace the session's notes on one account."""
        session = self.get_object()
        serializer = AccountNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = review_note_save(session=session, company=serializer.validated_data["company"],
                                notes=serializer.validated_data["notes"], by=request.user)
        return Response({"company": note.company_id, "notes": note.notes, "updated_at": note.updated_at})

    @extend_schema(request=SessionCloseSerializer, responses={200: ReviewSessionSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        session = self.get_object()
        serializer = SessionCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review_session_close(session=session, by=request.user, notes=serializer.validated_data.get("notes"))
        return Response(self.get_serializer(session).data)


class ActionItemViewSet(viewsets.ModelViewSet):
    """Action items of the sessions the user may see; filter by session, company, assignee, status."""

    serializer_class = ActionItemSerializer
    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends = [FilterBackend]
    filterset_fields = ["session", "company", "assignee", "status"]

    def get_queryset(self) -> QuerySet[ActionItem]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user to scope by
            return ActionItem.objects.none()
        qs = ActionItem.objects.select_related("session__team", "assignee", "company").order_by("due_date", "id")
        teams = visible_team_ids(self.request.user)
        if teams is None:
            return qs
        return qs.filter(Q(session__team_id__in=teams) | Q(assignee=self.request.user))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session = data["session"]
        teams = visible_team_ids(request.user)
        if teams is not None and session.team_id not in teams:
            raise PermissionDenied("Only the team's manager or a RevOps admin may run this review.")
        item = action_item_create(session=session, company=data["company"], description=data["description"],
                                  by=request.user, assignee=data.get("assignee"), due_date=data.get("due_date"))
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        serializer = self.get_serializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if {"session", "company"} & set(data):
            raise serializers.ValidationError({"non_field_errors": ["An action item stays on its session and account."]})
        changes = {name: data[name] for name in ("assignee", "due_date") if name in data}
        action_item_update(item=item, by=request.user, status=data.get("status"),
                           description=data.get("description"), **changes)
        item.refresh_from_db()
        return Response(self.get_serializer(item).data)

    def destroy(self, request, *args, **kwargs):
        action_item_delete(item=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES: list = [
    ("stakeholders", StakeholderViewSet, "stakeholder"),
    ("interactions", InteractionViewSet, "interaction"),
    ("review-sessions", ReviewSessionViewSet, "review-session"),
    ("action-items", ActionItemViewSet, "action-item"),
]
URLS: list = [
    path("weekly-review/", WeeklyReviewApi.as_view(), name="api-weekly-review"),
    path("weekly-review/accounts/<int:company_id>/", WeeklyReviewAccountApi.as_view(),
         name="api-weekly-review-account"),
]
