"""Pieces every import kind uses: parsing several cells of a record, and chunked key lookups."""

from collections.abc import Iterable

from accounts.models import Company, Workspace, WorkspaceMembership

from . import values as v

LOOKUP_CHUNK = 2000
TIERS = v.Choices(Company.Tier.choices)
WORKSPACE_STATUSES = v.Choices(Workspace.Status.choices)
ROLE_CHOICES = v.Choices(WorkspaceMembership.Role.choices)


class Cells:
    """Parse several cells of one record, collecting every problem before giving up on the row."""

    __slots__ = ("values", "errors")

    def __init__(self, values: dict[str, str]):
        self.values = values
        self.errors: list[str] = []

    def __call__(self, parser, column: str, **kwargs):
        try:
            return parser(self.values[column], column=column, **kwargs)
        except v.RowError as exc:
            self.errors.append(exc.message)
            return None

    def done(self) -> None:
        if self.errors:
            raise v.RowError("; ".join(self.errors))


_MISSING = object()


class KeyResolver:
    """external_id → database values, fetched in chunks and cached for the whole run."""

    MISSING = _MISSING  # what `cache` holds for a key resolve() looked up and did not find

    def __init__(self, queryset, *fields: str, key: str = "external_id"):
        self.queryset = queryset
        self.fields = fields or ("id",)
        self.key = key
        self.cache: dict[str, object] = {"": _MISSING}  # an empty key is never looked up

    def resolve(self, keys: Iterable[str]) -> None:
        missing = [key for key in set(keys) if key and key not in self.cache]
        for start in range(0, len(missing), LOOKUP_CHUNK):
            chunk = missing[start : start + LOOKUP_CHUNK]
            rows = self.queryset.filter(**{f"{self.key}__in": chunk}).values_list(self.key, *self.fields)
            found = {row[0]: (row[1] if len(self.fields) == 1 else row[1:]) for row in rows}
            for key in chunk:
                self.cache[key] = found.get(key, _MISSING)

    def exists(self, key: str) -> bool:
        return self.cache.get(key, _MISSING) is not _MISSING

    def get(self, key: str):
        value = self.cache.get(key, _MISSING)
        return None if value is _MISSING else value


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _money(model, name: str) -> dict:
    field = model._meta.get_field(name)
    return {"max_digits": field.max_digits, "decimal_places": field.decimal_places}
