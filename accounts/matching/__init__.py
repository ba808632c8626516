"""Company-name matching for account resolution: normalise typed names and resolve them to CRM
companies with a confidence, a band (auto / review / none) and a human-readable reason.

Pure Python, no database access: callers load ``(company_id, name)`` pairs (and aliases), build a
:class:`CompanyNameIndex` once, and call :meth:`CompanyNameIndex.decide` or ``match_many``.
"""

from .index import (
    DEFAULT_AMBIGUITY_MARGIN,
    DEFAULT_AUTO_THRESHOLD,
    DEFAULT_REVIEW_THRESHOLD,
    Band,
    Candidate,
    CompanyNameIndex,
    Decision,
    Method,
    Thresholds,
    decide_ranked,
)
from .normalize import NormalizedName, analyze, is_junk, normalize_company_name

__all__ = [
    "DEFAULT_AMBIGUITY_MARGIN",
    "DEFAULT_AUTO_THRESHOLD",
    "DEFAULT_REVIEW_THRESHOLD",
    "Band",
    "Candidate",
    "CompanyNameIndex",
    "Decision",
    "Method",
    "NormalizedName",
    "Thresholds",
    "analyze",
    "decide_ranked",
    "is_junk",
    "normalize_company_name",
]
