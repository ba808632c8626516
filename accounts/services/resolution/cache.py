"""What resolution keeps between runs, on this machine: the company-name index and the name rankings.

Both depend only on the set of company names (their digest) and on the matching code (its digest,
so a deploy that changes normalisation or scoring never reuses an old answer):

* the name index, as a pickle (building it for 100,000 companies takes seconds, loading it a
  fraction of one);
* the ranking of every typed or workspace name decided so far — its best two candidates, which do
  not depend on the thresholds — in a small SQLite file keyed by the text. A run looks up the names
  it needs and scores only the new ones, so a second full run, and an incremental run whose people
  typed names seen before, match almost nothing. The decision itself (auto / review / none, the
  reason) is made from the ranking with the run's thresholds, exactly as without the cache.

Everything lives in a directory private to this OS user (``settings.RESOLUTION_CACHE_DIR``, else the
environment variable of that name, else one under the temp directory) (a pickle is code: never load one others
could plant). Files of other name sets are evicted, least recently used first, when the directory
grows past ``CACHE_MAX_BYTES``; a missing or unreadable file only costs the work again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import sqlite3
import stat
import tempfile
from pathlib import Path

from django.conf import settings as django_settings

import accounts.matching.index as _index_module
import accounts.matching.normalize as _normalize_module
from accounts.matching import Candidate, CompanyNameIndex
from accounts.matching.index import Method as MatchMethod
from revops.collector import no_gc

logger = logging.getLogger(__name__)

CACHE_MAX_BYTES = 1 << 30  # all cached indexes and rankings of this user together ...
CACHE_MAX_ENTRIES = 16  # ... for at most this many sets of company names
LOOKUP_BATCH = 50_000  # texts per lookup query


def _matcher_digest() -> str:
    h = hashlib.sha1()
    for module in (_normalize_module, _index_module):
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()[:16]


MATCHER_VERSION = _matcher_digest()

_INDEXES: dict[str, CompanyNameIndex] = {}  # names digest → index, in this process (the latest only)


def cache_dir() -> Path | None:
    """A directory only this OS user can write, or None (then nothing is cached on disk)."""
    configured = getattr(django_settings, "RESOLUTION_CACHE_DIR", None) or os.environ.get("RESOLUTION_CACHE_DIR")
    path = Path(configured) if configured else Path(tempfile.gettempdir()) / f"revops-resolution-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
        if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
            logger.warning("Not caching resolution data in %s: it is not private to this user.", path)
            return None
    except OSError:
        return None
    return path


def cache_clear() -> int:
    """Drop every cached index and ranking (``resolve_accounts --cold``); returns files removed."""
    _INDEXES.clear()
    directory = cache_dir()
    removed = 0
    if directory is not None:
        for path in directory.iterdir():
            if path.name.startswith(("names-", "rankings-")):
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def _namespace(names_digest: str) -> str:
    return hashlib.sha1(f"{names_digest}:{MATCHER_VERSION}".encode()).hexdigest()


def _evict(directory: Path, *, keep: str) -> None:
    """Remove the least recently used name sets (index and rankings together) until the directory
    holds at most ``CACHE_MAX_ENTRIES`` of them in ``CACHE_MAX_BYTES``; never the ``keep`` namespace."""
    entries: dict[str, list] = {}  # namespace → [last used, bytes, paths]
    for path in directory.iterdir():
        kind, _, rest = path.name.partition("-")
        if kind not in ("names", "rankings") or not rest:
            continue
        namespace = rest.split(".", 1)[0]
        try:
            info = path.stat()
        except OSError:
            continue
        entry = entries.setdefault(namespace, [0.0, 0, []])
        entry[0] = max(entry[0], info.st_mtime)
        entry[1] += info.st_size
        entry[2].append(path)
    total = sum(size for _, size, _ in entries.values())
    count = len(entries)
    for namespace, (_, size, paths) in sorted(entries.items(), key=lambda item: item[1][0]):
        if total <= CACHE_MAX_BYTES and count <= CACHE_MAX_ENTRIES:
            break
        if namespace == keep:
            continue
        for path in paths:
            path.unlink(missing_ok=True)
        total -= size
        count -= 1


# --- the name index -------------------------------------------------------------------------------


def name_index_load(*, names: dict[int, str], digest: str) -> CompanyNameIndex:
    """The name index for these company names: from this process, the disk cache, or built."""
    index = _INDEXES.get(digest)
    if index is not None:
        return index
    directory = cache_dir()
    namespace = _namespace(digest)
    path = directory / f"names-{namespace}.pickle" if directory else None
    if path is not None and path.exists():
        try:
            with path.open("rb") as handle, no_gc():
                index = pickle.load(handle)
            os.utime(path)  # recently used: the last to be evicted
        except Exception:  # a truncated or stale file: build it again
            logger.warning("Ignoring an unreadable name-index cache file %s", path, exc_info=True)
            index = None
    if index is None:
        index = CompanyNameIndex(names.items())
        if path is not None:
            try:
                partial = path.with_suffix(f".{os.getpid()}.tmp")
                with partial.open("wb") as handle:
                    pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
                partial.replace(path)
                _evict(directory, keep=namespace)
            except OSError:
                logger.warning("Could not write the name-index cache %s", path, exc_info=True)
    _INDEXES.clear()
    _INDEXES[digest] = index
    return index


# --- rankings -------------------------------------------------------------------------------------

Ranked = list[Candidate] | None  # None: the text is junk ("n/a", "self")


def _encode(ranked: Ranked) -> str:
    if ranked is None:
        return "null"
    return json.dumps(
        [[c.company_id, c.name, c.matched_name, c.score, c.confidence, c.method.value, list(c.notes), c.partial,
          c.covers_typed] for c in ranked],
        ensure_ascii=False, separators=(",", ":"),
    )


_METHODS = {method.value: method for method in MatchMethod}


def _decode(text: str) -> Ranked:
    rows = json.loads(text)
    if rows is None:
        return None
    methods = _METHODS
    return [Candidate(company_id, name, matched_name, score, confidence, methods[method], tuple(notes),
                      partial, covers_typed)
            for company_id, name, matched_name, score, confidence, method, notes, partial, covers_typed in rows]


class RankingStore:
    """The rankings of names for one set of company names, in a SQLite file in the cache directory.

    Opened lazily in the process that uses it (a forked child opens its own connection)."""

    def __init__(self, names_digest: str) -> None:
        self.namespace = _namespace(names_digest)
        self._connection: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._broken = False

    def _connect(self) -> sqlite3.Connection | None:
        if self._broken:
            return None
        if self._connection is not None and self._pid == os.getpid():
            return self._connection
        directory = cache_dir()
        if directory is None:
            self._broken = True
            return None
        path = directory / f"rankings-{self.namespace}.sqlite3"
        try:
            connection = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")  # a cache: losing the tail after a crash is fine
            connection.execute("CREATE TABLE IF NOT EXISTS ranked (text TEXT PRIMARY KEY, ranked TEXT NOT NULL) "
                               "WITHOUT ROWID")
            os.utime(path)
        except sqlite3.Error:
            logger.warning("Not caching name rankings in %s", path, exc_info=True)
            self._broken = True
            return None
        self._connection, self._pid, self._path = connection, os.getpid(), path
        return connection

    def get_many(self, texts: list[str]) -> dict[str, Ranked]:
        connection = self._connect()
        if connection is None or not texts:
            return {}
        found: dict[str, Ranked] = {}
        try:
            for start in range(0, len(texts), LOOKUP_BATCH):
                batch = json.dumps(texts[start : start + LOOKUP_BATCH], ensure_ascii=False)
                rows = connection.execute(
                    "SELECT text, ranked FROM ranked WHERE text IN (SELECT value FROM json_each(?))", (batch,)
                )
                for text, ranked in rows:
                    found[text] = _decode(ranked)
        except (sqlite3.Error, ValueError, TypeError):
            logger.warning("Ignoring the name-ranking cache", exc_info=True)
            return {}
        return found

    def put_many(self, items: list[tuple[str, Ranked]]) -> None:
        connection = self._connect()
        if connection is None or not items:
            return
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany("INSERT OR REPLACE INTO ranked VALUES (?, ?)",
                                   ((text, _encode(ranked)) for text, ranked in items))
            connection.execute("COMMIT")
            _evict(self._path.parent, keep=self.namespace)
        except sqlite3.Error:
            logger.warning("Could not write the name-ranking cache", exc_info=True)
            try:
                connection.execute("ROLLBACK")
            except sqlite3.Error:
                pass
