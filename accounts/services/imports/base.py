"""The registry of import kinds and the shapes every kind shares.

A kind (companies, workspaces, users, usage — and whatever another app registers, e.g.
stakeholders) says which native columns it has, how one CSV record becomes a typed row,
which checks need the database or the whole file, and how its rows are written set-based
from a staging table. The runner (runner.py) does everything else: reading, line numbers,
duplicate keys, progress, the report and the one write transaction.

Registering a kind from another app::

    from accounts.services.imports import Column, ImportKind, register_import_kind

    class StakeholderImport(ImportKind):
        name, label = "stakeholders", "Stakeholders"
        columns = (Column("external_id", required=True), Column("email", required=True), ...)
        def staging_tables(self, staging, state): return [StagingTable("import_stakeholder", ...)]
        def parse(self, values, state): ...
        def stage(self, rows, state): return [("import_stakeholder", rows)]
        def write(self, *, staging, state, report): ...

    register_import_kind(StakeholderImport())
"""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from revops.errors import ApplicationError

NATIVE = "native"
MAX_STORED_ISSUES = 5000


class ImportFileError(ApplicationError):
    """The file as a whole cannot be imported (nothing was loaded); the message is one line."""


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    # Several source columns may feed this one (e.g. HubSpot's domain + additional domains):
    # their non-empty values are joined with ";" instead of taking the first.
    multi: bool = False
    help: str = ""


@dataclass(frozen=True)
class RowIssue:
    line: int
    message: str


@dataclass
class ImportReport:
    kind: str
    preset: str = NATIVE
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    rejected_lines: set[int] = field(default_factory=set)
    # external_id (as typed in the file) → line, for rows that were rejected; lets a child row
    # say "its parent on line 7 was rejected" instead of "unknown parent".
    rejected_keys: dict[str, int] = field(default_factory=dict)
    # Seconds per phase (read, finish, write, commit), for benchmarks and logs.
    timings: dict[str, float] = field(default_factory=dict)

    def reject(self, line: int, message: str, *, key: str | None = None) -> None:
        if line in self.rejected_lines:
            return
        self.rejected_lines.add(line)
        self.errors.append(RowIssue(line, message))
        if key:
            self.rejected_keys.setdefault(key, line)

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(RowIssue(line, message))

    @property
    def error_count(self) -> int:
        return len(self.errors)

    @property
    def loaded(self) -> int:
        return self.created + self.updated + self.unchanged

    def sorted_errors(self) -> list[RowIssue]:
        return sorted(self.errors, key=lambda issue: issue.line)

    def sorted_warnings(self) -> list[RowIssue]:
        return sorted(self.warnings, key=lambda issue: issue.line)

    def summary(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.errors:
            text += f", {len(self.errors)} rejected"
        if self.warnings:
            text += f", {len(self.warnings)} warning{'s' if len(self.warnings) != 1 else ''}"
        return text


class ImportKind:
    """One kind of CSV import. Subclasses set the class attributes and implement parse/write."""

    name: str = ""
    label: str = ""
    columns: tuple[Column, ...] = ()
    # preset name → native column → source header names (matched case-insensitively, first wins).
    presets: dict[str, dict[str, tuple[str, ...]]] = {}
    key_column: str | None = "external_id"

    # --- the contract -------------------------------------------------------------------------
    def new_state(self, *, present: frozenset[str]) -> Any:
        """Per-run scratch space (resolution caches, the parent graph…)."""
        return {"present": present}

    def parse(self, values: dict[str, str], state: Any) -> tuple:
        """One record (native column → stripped text, "" when absent) → a typed row, or RowError."""
        raise NotImplementedError

    def key(self, row: tuple) -> Hashable | None:
        """What must be unique within one file (duplicates are rejected, naming the first line)."""
        return row[0]

    def describe_key(self, key: Hashable) -> str:
        return f"{self.key_column} {key!r}"

    def check(self, batch: list[tuple], state: Any, report: ImportReport) -> list[tuple]:
        """Checks needing the database, a batch of `(line, *row)` at a time; may resolve references
        and return transformed rows. Reject with `report.reject(line, reason)`."""
        return batch

    def finish(self, state: Any, report: ImportReport) -> None:
        """Checks needing the whole file (e.g. a parent cycle), after every batch was checked."""

    def staging_tables(self, staging, state: Any) -> list:
        """The StagingTable(s) the accepted rows go to while the file is read."""
        raise NotImplementedError

    def stage(self, rows: list[tuple], state: Any) -> list[tuple[str, list[tuple]]]:
        """Accepted `(line, *row)` rows → [(staging table name, rows starting with the line)]."""
        raise NotImplementedError

    def write(self, *, staging, state: Any, report: ImportReport) -> tuple[int, int, int]:
        """Inside the import's transaction: write the staged rows set-based and return
        (created, updated, unchanged)."""
        raise NotImplementedError

    # --- derived --------------------------------------------------------------------------------
    @property
    def required_columns(self) -> list[str]:
        return [column.name for column in self.columns if column.required]

    @property
    def preset_names(self) -> list[str]:
        return [NATIVE, *self.presets]

    def source_headers(self, preset: str) -> dict[str, tuple[str, ...]]:
        if preset == NATIVE:
            return {column.name: (column.name,) for column in self.columns}
        if preset not in self.presets:
            applies = [kind.name for kind in import_kinds() if preset in kind.presets]
            if not applies:
                raise ImportFileError(f"Unknown preset {preset!r} (choose one of: {', '.join(all_presets())}).")
            raise ImportFileError(
                f"The {preset} preset does not apply to {self.name} imports (it applies to: {', '.join(applies)})."
            )
        return self.presets[preset]


_REGISTRY: dict[str, ImportKind] = {}


def register_import_kind(kind: ImportKind) -> ImportKind:
    if not kind.name:
        raise ValueError("An import kind needs a name.")
    _REGISTRY[kind.name] = kind
    return kind


def import_kinds() -> list[ImportKind]:
    return list(_REGISTRY.values())


def get_import_kind(name: str) -> ImportKind:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ImportFileError(f"Unknown import kind {name!r} (choose one of: {', '.join(_REGISTRY)}).") from None


def all_presets() -> list[str]:
    names = [NATIVE]
    for kind in _REGISTRY.values():
        names.extend(name for name in kind.presets if name not in names)
    return names


def issues_as_json(issues: Iterable[RowIssue], limit: int = MAX_STORED_ISSUES) -> list[dict]:
    stored = []
    for issue in issues:
        if len(stored) >= limit:
            break
        stored.append({"line": issue.line, "message": issue.message})
    return stored
