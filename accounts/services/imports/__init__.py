"""CSV imports: `import_data` command, web-UI import jobs and other apps' import kinds.

report = import_csv(kind="companies", source="accounts.csv", preset="salesforce")
report.summary()  # "3 created, 1 updated, 2 unchanged, 1 rejected"
"""

from . import kinds  # noqa: F401  (registers the built-in kinds)
from .base import (
    NATIVE,
    Column,
    ImportFileError,
    ImportKind,
    ImportReport,
    RowIssue,
    all_presets,
    get_import_kind,
    import_kinds,
    register_import_kind,
)
from .runner import (
    ImportProgress,
    count_records,
    import_csv,
    import_job_create,
    import_job_execute,
    import_job_release,
)
from .values import RowError

__all__ = [
    "NATIVE",
    "Column",
    "ImportFileError",
    "ImportKind",
    "ImportProgress",
    "ImportReport",
    "RowError",
    "RowIssue",
    "all_presets",
    "count_records",
    "get_import_kind",
    "import_csv",
    "import_job_create",
    "import_job_execute",
    "import_job_release",
    "import_kinds",
    "register_import_kind",
]
