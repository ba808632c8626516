"""Writes of stakeholders and interactions, and the last-contact bookkeeping they share.

Every write that can move a stakeholder's last contact (logging, editing, back-dating, deleting an
interaction, adding or removing a participant) ends with ``last_contact_refresh`` for the
stakeholders involved before and after, so ``Stakeholder.last_contacted_at/by`` always equal the
latest interaction's time and logger.
"""
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Expression, OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Company, ProductUser
from revops.errors import ApplicationError
from stakeholders.models import KEY_STAKEHOLDERS, Interaction, InteractionParticipant, Stakeholder

from .permissions import can_change_interaction, can_change_stakeholder

STAKEHOLDER_FIELDS = (
    "name", "email", "title", "department", "role", "influence", "sentiment", "reports_to", "key_rank",
    "is_active", "left_at", "product_user", "external_id",
)
INTERACTION_FIELDS = ("channel", "occurred_at", "summary", "next_step", "next_step_due", "external_id")


def _raise_validation(exc: ValidationError) -> None:
    raise ApplicationError(
        "; ".join(f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
                  for field, messages in exc.message_dict.items()),
        extra={"fields": exc.message_dict},
    ) from exc


def _full_clean(instance, *, exclude: Sequence[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        _raise_validation(exc)


# --- last contact --------------------------------------------------------------------------------

def last_contact_refresh(*, stakeholder_ids: Iterable[int] | QuerySet | Expression | None = None) -> int:
    """Recompute last_contacted_at/by of these stakeholders (all when None) from their interactions.

    ``stakeholder_ids`` may also be a queryset of ids or a SQL expression (``RawSQL("SELECT …")``)
    so bulk writes such as imports refresh thousands of people in the same single UPDATE.

    Two correlated subqueries in one UPDATE: set-based, and correct after edits, deletes and
    back-dating because it never looks at what was stored before. Returns the rows updated.
    """
    latest = (
        Interaction.objects.filter(participants__stakeholder=OuterRef("pk"))
        .order_by("-occurred_at", "-id")
    )
    qs = Stakeholder.objects.all()
    if hasattr(stakeholder_ids, "resolve_expression"):
        # A queryset or SQL expression of ids (e.g. an import's staging table): stays set-based.
        qs = qs.filter(pk__in=stakeholder_ids)
    elif stakeholder_ids is not None:
        ids = {pk for pk in stakeholder_ids if pk is not None}
        if not ids:
            return 0
        qs = qs.filter(pk__in=ids)
    return qs.update(
        last_contacted_at=Subquery(latest.values("occurred_at")[:1]),
        last_contacted_by=Subquery(latest.values("logged_by")[:1]),
    )


# --- product users ---------------------------------------------------------------------------------

def product_user_suggest(*, company: Company, email: str) -> ProductUser | None:
    """The product user with this email (case-insensitive), preferring one resolved to this company."""
    if not email:
        return None
    matches = ProductUser.objects.annotate(email_lower=Lower("email")).filter(email_lower=email.strip().lower())
    return matches.filter(company=company).first() or matches.first()


# --- stakeholders -----------------------------------------------------------------------------------

def _check_reports_to(stakeholder: Stakeholder) -> None:
    boss = stakeholder.reports_to
    if boss is None:
        return
    if boss.company_id != stakeholder.company_id:
        raise ApplicationError("reports_to: the manager must be a stakeholder of the same company.",
                               extra={"fields": {"reports_to": ["Must be a stakeholder of the same company."]}})
    seen = {stakeholder.pk}
    while boss is not None:
        if boss.pk in seen:
            raise ApplicationError("reports_to: this would make a reporting loop.",
                                   extra={"fields": {"reports_to": ["This would make a reporting loop."]}})
        seen.add(boss.pk)
        boss = boss.reports_to


def _free_key_rank(stakeholder: Stakeholder) -> None:
    """Taking a key rank moves whoever held it down the list (or off it after rank five)."""
    if stakeholder.key_rank is None:
        return
    holders = list(
        Stakeholder.objects.select_for_update()
        .filter(company_id=stakeholder.company_id, key_rank__gte=stakeholder.key_rank)
        .exclude(pk=stakeholder.pk)
        .order_by("-key_rank")
    )
    taken = {h.key_rank for h in holders}
    if stakeholder.key_rank not in taken:
        return
    # Shift the contiguous block starting at the wanted rank down by one, from the bottom up.
    block = []
    rank = stakeholder.key_rank
    by_rank = {h.key_rank: h for h in holders}
    while rank in by_rank:
        block.append(by_rank[rank])
        rank += 1
    for holder in reversed(block):
        new_rank = holder.key_rank + 1
        holder.key_rank = new_rank if new_rank <= KEY_STAKEHOLDERS else None
        holder.save(update_fields=["key_rank", "updated_at"])


def _save_stakeholder(stakeholder: Stakeholder) -> Stakeholder:
    if stakeholder.email:
        stakeholder.email = stakeholder.email.strip()
    if stakeholder.is_active is False and stakeholder.left_at is None:
        stakeholder.left_at = timezone.localdate()
    if stakeholder.is_active and stakeholder.left_at is not None:
        stakeholder.left_at = None
    if not stakeholder.is_active:
        stakeholder.key_rank = None  # someone who left cannot be a key stakeholder
    if stakeholder.product_user_id is None and stakeholder.email:
        stakeholder.product_user = product_user_suggest(company=stakeholder.company, email=stakeholder.email)
    duplicate = (
        Stakeholder.objects.filter(company_id=stakeholder.company_id, email__iexact=stakeholder.email)
        .exclude(pk=stakeholder.pk)
        .exists()
        if stakeholder.email else False
    )
    if duplicate:
        raise ApplicationError(
            f"email: {stakeholder.email} is already a stakeholder of this company.",
            extra={"fields": {"email": ["Already a stakeholder of this company."]}},
        )
    # Free the wanted key rank before validating, or the unique-rank constraint refuses what the service
    # is meant to do (move the holder down); the callers' transaction undoes it if validation fails.
    _free_key_rank(stakeholder)
    # After the duplicate check, so a duplicate email is reported on the field, not as a constraint.
    _full_clean(stakeholder, exclude=("last_contacted_by", "created_by", "product_user", "reports_to"))
    _check_reports_to(stakeholder)
    try:
        with transaction.atomic():
            stakeholder.save()
    except IntegrityError as exc:
        raise ApplicationError(f"This stakeholder conflicts with an existing one: {exc}") from exc
    return stakeholder


@transaction.atomic
def stakeholder_create(*, company: Company, by=None, **fields) -> Stakeholder:
    unknown = set(fields) - set(STAKEHOLDER_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown stakeholder field(s): {', '.join(sorted(unknown))}.")
    stakeholder = Stakeholder(company=company, created_by=by if by and by.is_authenticated else None, **fields)
    return _save_stakeholder(stakeholder)


@transaction.atomic
def stakeholder_update(*, stakeholder: Stakeholder, by, **fields) -> Stakeholder:
    if by is not None and not can_change_stakeholder(by, stakeholder):
        raise PermissionDenied("Only the account's owner, their manager, the stakeholder's creator or an admin may "
                              "edit this stakeholder.")
    unknown = set(fields) - set(STAKEHOLDER_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown stakeholder field(s): {', '.join(sorted(unknown))}.")
    email_changed = "email" in fields and (fields["email"] or "").lower() != stakeholder.email.lower()
    for name, value in fields.items():
        setattr(stakeholder, name, value)
    if email_changed and "product_user" not in fields:
        stakeholder.product_user = None  # suggest again from the new email
    return _save_stakeholder(stakeholder)


@transaction.atomic
def stakeholder_delete(*, stakeholder: Stakeholder, by) -> None:
    """Delete the stakeholder; their interactions stay, with the name kept on each participation."""
    if by is not None and not can_change_stakeholder(by, stakeholder):
        raise PermissionDenied("Only the account's owner, their manager, the stakeholder's creator or an admin may "
                              "delete this stakeholder.")
    stakeholder.delete()  # participants: SET_NULL, stakeholder_name kept; reports: SET_NULL


# --- interactions -----------------------------------------------------------------------------------

def _participants(*, company: Company, stakeholders: Iterable[Stakeholder | int]) -> list[Stakeholder]:
    ids = {s.pk if isinstance(s, Stakeholder) else int(s) for s in stakeholders}
    found = list(Stakeholder.objects.filter(pk__in=ids))
    if len(found) != len(ids):
        raise ApplicationError("stakeholders: one of the stakeholders does not exist.",
                               extra={"fields": {"stakeholders": ["Unknown stakeholder."]}})
    strangers = [s.name for s in found if s.company_id != company.pk]
    if strangers:
        raise ApplicationError(
            f"stakeholders: {', '.join(strangers)} belong{'s' if len(strangers) == 1 else ''} to another company.",
            extra={"fields": {"stakeholders": ["Must be stakeholders of this company."]}},
        )
    return found


def _set_participants(interaction: Interaction, stakeholders: list[Stakeholder]) -> set[int]:
    """Replace the participants; returns every stakeholder id touched (old and new)."""
    old = set(interaction.participants.exclude(stakeholder=None).values_list("stakeholder_id", flat=True))
    new = {s.pk for s in stakeholders}
    interaction.participants.filter(stakeholder_id__in=old - new).delete()
    InteractionParticipant.objects.bulk_create(
        [InteractionParticipant(interaction=interaction, stakeholder=s, stakeholder_name=s.name)
         for s in stakeholders if s.pk not in old]
    )
    return old | new


def _validate_interaction(interaction: Interaction) -> None:
    if interaction.occurred_at and timezone.is_naive(interaction.occurred_at):
        interaction.occurred_at = timezone.make_aware(interaction.occurred_at)
    if interaction.occurred_at and interaction.occurred_at > timezone.now() + timedelta(minutes=5):
        raise ApplicationError("occurred_at: an interaction cannot be logged in the future.",
                               extra={"fields": {"occurred_at": ["Cannot be in the future."]}})
    if interaction.next_step_due and not interaction.next_step:
        raise ApplicationError("next_step: say what the next step is when giving it a due date.",
                               extra={"fields": {"next_step": ["Required when a due date is given."]}})
    _full_clean(interaction, exclude=("logged_by",))


@transaction.atomic
def interaction_log(
    *,
    company: Company,
    by,
    stakeholders: Iterable[Stakeholder | int],
    channel: str = Interaction.Channel.VIDEO,
    occurred_at: datetime | None = None,
    summary: str = "",
    next_step: str = "",
    next_step_due: date | None = None,
    external_id: str = "",
) -> Interaction:
    """Log a contact with one or more stakeholders of ``company``; anyone signed in may log on any account."""
    people = _participants(company=company, stakeholders=stakeholders)
    if not people:
        raise ApplicationError("stakeholders: choose at least one stakeholder.",
                               extra={"fields": {"stakeholders": ["Choose at least one stakeholder."]}})
    interaction = Interaction(
        company=company, logged_by=by if by and by.is_authenticated else None, channel=channel,
        occurred_at=occurred_at or timezone.now(), summary=summary or "", next_step=next_step or "",
        next_step_due=next_step_due, external_id=external_id or "",
    )
    _validate_interaction(interaction)
    interaction.save()
    touched = _set_participants(interaction, people)
    last_contact_refresh(stakeholder_ids=touched)
    return interaction


@transaction.atomic
def interaction_update(
    *, interaction: Interaction, by, stakeholders: Iterable[Stakeholder | int] | None = None, **fields
) -> Interaction:
    """Edit an interaction (the logger, their manager or an admin); back-dating moves last contact too."""
    if by is not None and not can_change_interaction(by, interaction):
        raise PermissionDenied("Only the rep who logged this interaction, their manager or an admin may change it.")
    unknown = set(fields) - set(INTERACTION_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown interaction field(s): {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(interaction, name, value if value is not None or name in ("next_step_due",) else "")
    _validate_interaction(interaction)
    interaction.save()
    touched = set(interaction.participants.exclude(stakeholder=None).values_list("stakeholder_id", flat=True))
    if stakeholders is not None:
        people = _participants(company=interaction.company, stakeholders=stakeholders)
        if not people:
            raise ApplicationError("stakeholders: choose at least one stakeholder.",
                                   extra={"fields": {"stakeholders": ["Choose at least one stakeholder."]}})
        touched |= _set_participants(interaction, people)
    last_contact_refresh(stakeholder_ids=touched)
    return interaction


@transaction.atomic
def interaction_delete(*, interaction: Interaction, by) -> None:
    if by is not None and not can_change_interaction(by, interaction):
        raise PermissionDenied("Only the rep who logged this interaction, their manager or an admin may delete it.")
    touched = set(interaction.participants.exclude(stakeholder=None).values_list("stakeholder_id", flat=True))
    interaction.delete()
    last_contact_refresh(stakeholder_ids=touched)


@transaction.atomic
def next_step_complete(*, interaction: Interaction, by, done: bool = True) -> Interaction:
    """Mark the interaction's next step done (or open again). Anyone who may edit it, or the account owner."""
    from .permissions import can_manage_company

    if by is not None and not (can_change_interaction(by, interaction) or can_manage_company(by, interaction.company)):
        raise PermissionDenied("Only the logger, the account owner, their manager or an admin may close this step.")
    if not interaction.next_step:
        raise ApplicationError("This interaction has no next step.")
    interaction.next_step_done_at = timezone.now() if done else None
    interaction.save(update_fields=["next_step_done_at", "updated_at"])
    return interaction
