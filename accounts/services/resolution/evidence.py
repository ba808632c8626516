"""Evidence and how it becomes a decision: pure Python, no database.

Every piece of evidence says "this record belongs to company X with confidence c, because …".
Pieces for the same company are combined as independent witnesses (noisy-OR: 1 − Π(1 − cᵢ)), so
agreeing evidence raises the confidence. Then the decision:

* nothing reaches the review threshold → unmatched;
* a second company also reaches the review threshold → review (conflicting evidence: both are
  named in the reason and the stronger one is suggested) — never a guess;
* the best company reaches the auto threshold → auto; otherwise → review.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from accounts.matching import Band, Decision
from accounts.models import MatchFields

Method = MatchFields.Method
Status = MatchFields.Status

DOMAIN_CONFIDENCE = 0.98  # the registered domain of the address is owned by the company
WORKSPACE_NAME_FACTOR = 0.90  # a workspace's own name is weaker evidence than a name a person typed
WORKSPACE_HINT_FACTOR = 0.85  # for its members, a hint: alone it never auto-accepts a person
ADMIN_WEIGHT = 3  # a workspace admin counts three times a member when a workspace is resolved
MEMBER_WEIGHT = 1
REASON_MAX = 500  # MatchFields.match_reason
LOCKED_STATUSES = (Status.CONFIRMED, Status.REJECTED)


@lru_cache(maxsize=250_000)  # company and workspace names are quoted again and again
def quote(text: str, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return f"'{text if len(text) <= limit else text[: limit - 1] + '…'}'"


def clip(reason: str) -> str:
    return reason if len(reason) <= REASON_MAX else reason[: REASON_MAX - 1] + "…"


@dataclass(frozen=True, slots=True)
class Thresholds:
    auto: float
    review: float
    colleague_factor: float


@dataclass(frozen=True, slots=True)
class Evidence:
    company_id: int
    confidence: float
    method: str
    reason: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What is written to a record's match fields (matched_at/matched_by are added on write)."""

    company_id: int | None
    suggested_company_id: int | None
    method: str
    confidence: float | None
    status: str
    reason: str

    def row(self) -> tuple:
        confidence = None if self.confidence is None else round(self.confidence, 4)
        return (self.company_id, self.suggested_company_id, self.method, confidence, self.status, self.reason)


def unmatched(reason: str, *, method: str = Method.NONE, confidence: float | None = None) -> Outcome:
    return Outcome(None, None, method, confidence, Status.UNMATCHED, clip(reason))


def name_evidence(decision: Decision, *, method: str, factor: float, label: str, auto: float) -> list[Evidence]:
    """Evidence from a name decision of the matching engine (a typed name or a workspace name).

    An ambiguous decision yields evidence for both companies it offers, so the conflict rule sends
    the record to review unless other evidence is conclusive about the same pair. A decision the
    engine keeps out of auto-accept (an initialism) stays out of it here too.
    """
    if decision.band == Band.NONE or decision.company_id is None:
        return []
    confidence = decision.confidence * factor
    if decision.band == Band.REVIEW and not decision.ambiguous:
        confidence = min(confidence, auto - 0.0001)
    reason = f"{label}{decision.reason}" if label else decision.reason
    found = [Evidence(decision.company_id, confidence, method, reason)]
    if decision.ambiguous and decision.runner_up is not None:
        found.append(Evidence(decision.runner_up.company_id, decision.runner_up.confidence * factor, method, reason))
    return found


def combine(evidence: list[Evidence], *, thresholds: Thresholds, names: dict[int, str],
            nothing: str) -> Outcome:
    """The decision for one record from all its evidence (see the module docstring)."""
    if not evidence:
        return unmatched(nothing)
    if len(evidence) == 1:  # the common case, without the bookkeeping
        item = evidence[0]
        score = min(item.confidence, 1.0)
        if score < thresholds.review:
            name = names.get(item.company_id, f"company {item.company_id}")
            return unmatched(f"evidence too weak for {quote(name)} ({score:.2f}): {item.reason}", method=item.method,
                             confidence=score)
        if score >= thresholds.auto:
            return Outcome(item.company_id, None, item.method, score, Status.AUTO, clip(item.reason))
        return Outcome(None, item.company_id, item.method, score, Status.REVIEW,
                       clip(f"{item.reason}; confidence {score:.2f} is below auto-accept {thresholds.auto:.2f}"))
    by_company: dict[int, list[Evidence]] = {}
    for item in evidence:
        by_company.setdefault(item.company_id, []).append(item)
    scored = []
    for company_id, items in by_company.items():
        disbelief = 1.0
        for item in items:
            disbelief *= 1.0 - min(item.confidence, 1.0)
        items.sort(key=lambda e: (-e.confidence, e.method, e.reason))
        scored.append((1.0 - disbelief, company_id, items))
    scored.sort(key=lambda s: (-s[0], s[1]))
    score, company_id, items = scored[0]
    method = items[0].method
    name = names.get(company_id, f"company {company_id}")
    explained = "; ".join(dict.fromkeys(e.reason for e in items))
    if len(items) > 1:
        explained += f" (together {score:.2f})"
    if score < thresholds.review:
        return unmatched(f"evidence too weak for {quote(name)} ({score:.2f}): {explained}", method=method,
                         confidence=score)
    rival = scored[1] if len(scored) > 1 and scored[1][0] >= thresholds.review else None
    if rival is not None:
        rival_score, rival_id, rival_items = rival
        rival_name = names.get(rival_id, f"company {rival_id}")
        rival_reason = "; ".join(dict.fromkeys(e.reason for e in rival_items))
        reason = (f"conflicting evidence: {quote(name)} ({score:.2f}) or {quote(rival_name)} ({rival_score:.2f}); "
                  f"{explained} | {rival_reason}")
        return Outcome(None, company_id, method, min(score, 1.0), Status.REVIEW, clip(reason))
    if score >= thresholds.auto:
        return Outcome(company_id, None, method, min(score, 1.0), Status.AUTO, clip(explained))
    return Outcome(None, company_id, method, score, Status.REVIEW,
                   clip(f"{explained}; confidence {score:.2f} is below auto-accept {thresholds.auto:.2f}"))


def colleague_evidence(*, workspace_name: str, others: int, anchors: dict[int, int], factor: float,
                       names: dict[int, str]) -> list[Evidence]:
    """A member of a workspace whose ``others`` other members include ``anchors[company]`` resolved
    to each company: evidence for each, scaled by the share and by the colleague factor."""
    found = []
    for company_id, count in anchors.items():
        confidence = factor * DOMAIN_CONFIDENCE * count / others
        noun = "colleague" if others == 1 else "colleagues"
        found.append(Evidence(
            company_id, confidence, Method.COLLEAGUES,
            f"{count} of {others} {noun} in workspace {quote(workspace_name)} resolve to "
            f"{quote(names.get(company_id, str(company_id)))}",
        ))
    return found


def member_evidence(*, members: int, weights: dict[int, tuple[int, int]],
                    names: dict[int, str]) -> list[Evidence]:
    """A workspace's evidence from its resolved members: ``weights[company] = (weight, count)`` where
    admins weigh ADMIN_WEIGHT. Confidence grows with the company's share of the resolved weight:
    a majority gives at least 0.74, everyone agreeing gives DOMAIN_CONFIDENCE. Unresolved members
    are unknowns, not counter-evidence: they are only mentioned."""
    resolved_weight = sum(weight for weight, _ in weights.values())
    resolved = sum(count for _, count in weights.values())
    found = []
    for company_id, (weight, count) in weights.items():
        share = weight / resolved_weight
        confidence = DOMAIN_CONFIDENCE * (0.5 + 0.5 * share)
        reason = (f"{count} of {members} members resolve to {quote(names.get(company_id, str(company_id)))}"
                  f" (weight {weight} of {resolved_weight}, admins count {ADMIN_WEIGHT}×)")
        if resolved < members:
            reason += f"; {members - resolved} unresolved"
        found.append(Evidence(company_id, confidence, Method.MEMBERS, reason))
    return found
