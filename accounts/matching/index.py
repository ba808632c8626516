"""An in-memory index of CRM company names that resolves typed names to companies.

How a typed name is resolved (nothing here touches the database):

1. Junk ("n/a", "self", "student", "-") resolves to nothing.
2. Exact lookups on the normalised key ("ACME CORP." -> "acme") and on the compact key, which ignores
   spacing ("Hewlett-Packard" = "HewlettPackard"). An exact hit beats every fuzzy candidate.
3. Blocking: the typed name's *distinctive* words (not generic business words, places or team
   words) open candidates through an inverted index, rarest first, each word also under its typo
   variants (a deletion index, SymSpell style: no scan of the vocabulary) and glued/split forms.
   Once a few hundred candidates are open, further words only re-rank them. A name made only of
   generic words opens candidates through its rarest word.
4. Scoring of the best few candidates (rapidfuzz OSA distance for typos): words are aligned
   (identical, glued/split, typo within an edit budget that grows with length and requires the same
   first letter), each weighted by IDF over the company corpus times a factor for its kind.
   Confidence is the weighted share of the two names that matches, multiplied down for extra
   place/team/legal words in the typed name, and capped: a match that rests only on generic words is
   weak; a word on one side only ("Acme Labs" vs "Acme", "Target Logistics" vs "Target") keeps it
   out of auto-accept; an initialism ("IBM") is only ever reviewed.
5. Decision: below the review threshold -> none; a runner-up within the ambiguity margin, or a
   runner-up that also contains the whole typed name when the leader does not equal it -> review
   (an exact hit is never made ambiguous by a fuzzy one); at or above the auto threshold -> auto;
   otherwise review.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz import fuzz
from rapidfuzz import process as rf_process
from rapidfuzz.distance import OSA

from .normalize import (
    DEPARTMENT_WORDS,
    GENERIC_WORDS,
    GEO_WORDS,
    LEADING_DROP,
    LEGAL_SUFFIXES,
    STOPWORDS,
    SYNONYMS,
    WEAK_ORG_WORDS,
    NormalizedName,
    TokenKind,
    analyze,
    canonical_token,
    initialism,
    squeeze,
    token_kind,
)

DEFAULT_AUTO_THRESHOLD = 0.90
DEFAULT_REVIEW_THRESHOLD = 0.60
DEFAULT_AMBIGUITY_MARGIN = 0.10

# Confidence of the exact kinds of hit.
EXACT_CONFIDENCE = 1.0
SPACING_CONFIDENCE = 0.98
OTHER_LEGAL_FORM_CONFIDENCE = 0.85  # same name, but another company has the typed legal form
INITIALISM_CONFIDENCE = 0.75  # "IBM" for "International Business Machines": a hint for review

# Caps on fuzzy confidence.
GENERIC_ONLY_CONTAINED_CAP = 0.80  # "General Electric" (or 2+ of its common words) typed, no distinctive one
GENERIC_ONLY_CAP = 0.45  # a single common word shared: never even a review
MISSING_WORD_CAP = 0.85  # the CRM name has a word the typed name lacks
EXTRA_WORD_CAP = 0.85  # the typed name has a word (not a place, team or legal form) the CRM name lacks

# Multipliers and weights for words on one side only.
EXTRA_PLACE_FACTOR = 0.95  # "Acme Berlin", "Acme (UK)"
EXTRA_TEAM_FACTOR = 0.96  # "acme-data-team", "Acme Marketing"
EXTRA_LEGAL_FACTOR = 0.98  # a legal form in the middle of a typed name: "Acme Ltd Berlin"
ORG_WORD_FACTOR = 0.95  # "Group", "Holding", "International" on one side only
MISSING_WORD_WEIGHT = 0.5  # other CRM words not typed count half (and cap the confidence)
WORD_ORDER_FACTOR = 0.90
GLUED_WORDS_SIMILARITY = 0.97

KIND_WEIGHT = {
    TokenKind.DISTINCTIVE: 1.0,
    TokenKind.GENERIC: 0.3,
    TokenKind.GEO: 0.3,
    TokenKind.DEPARTMENT: 0.3,
    TokenKind.NUMBER: 0.5,
}

FUZZY_MIN_LENGTH = 5  # typos are forgiven when the longer word has at least five letters ...
SHORTEST_TYPO_WORD = 4  # ... and the shorter at least four: "Acma" is not "Acme"
TYPO_EDIT_COST = 0.65  # similarity lost per edit relative to length: one slip in 7+ letters can auto-accept
OPEN_LIMIT = 100  # candidates opened through postings before further words only re-rank
FALLBACK_CAP = 20_000  # largest posting list opened for a name made of generic words only
CANDIDATES_SCORED = 3  # candidates fully scored per typed name after blocking ...
SHORTLIST_FLOOR = 0.5  # ... unless their estimate is below this share of the best estimate
VARIANT_CACHE_SIZE = 200_000  # typed words whose typo variants are remembered between names
REASON_MAX_LENGTH = 500  # MatchFields.match_reason

_TELLING = (TokenKind.DISTINCTIVE, TokenKind.NUMBER)

# Built-in words a typed word unknown to the corpus may misspell, by role.
_LEGAL, _GENERIC, _PLACE, _TEAM, _ORG = "legal form", "generic", "place", "team", "organisation"
_BUILTIN_WORD_ROLE: dict[str, str] = {
    **{w: _GENERIC for w in GENERIC_WORDS | set(SYNONYMS) if len(w) >= SHORTEST_TYPO_WORD},
    **{w: _TEAM for w in DEPARTMENT_WORDS if len(w) >= SHORTEST_TYPO_WORD},
    **{w: _PLACE for w in GEO_WORDS if len(w) >= SHORTEST_TYPO_WORD},
    **{w: _LEGAL for w in LEGAL_SUFFIXES if len(w) >= FUZZY_MIN_LENGTH},
}
_BUILTIN_WORDS = sorted(_BUILTIN_WORD_ROLE)
_ROLE_OF_KIND = {
    TokenKind.DISTINCTIVE: "distinctive", TokenKind.GENERIC: _GENERIC, TokenKind.GEO: _PLACE,
    TokenKind.DEPARTMENT: _TEAM, TokenKind.NUMBER: _TEAM,
}
_KIND_OF_ROLE = {_GENERIC: TokenKind.GENERIC, _PLACE: TokenKind.GEO, _TEAM: TokenKind.DEPARTMENT,
                 _LEGAL: TokenKind.DEPARTMENT}
_DROPPABLE = STOPWORDS | LEADING_DROP  # glued to a name: "ikeaof", "koninklijkephilips"


class Band(StrEnum):
    AUTO = "auto"
    REVIEW = "review"
    NONE = "none"


class Method(StrEnum):
    EXACT = "exact"  # same normalised name
    SPACING = "spacing"  # same letters, other spacing or hyphenation
    PREFIX = "prefix"  # the CRM name followed by places, team words or legal forms: "Acme Berlin"
    FUZZY = "fuzzy"
    INITIALISM = "initialism"


_EXACT_METHODS = frozenset({Method.EXACT, Method.SPACING, Method.PREFIX})


@dataclass(frozen=True, slots=True)
class Candidate:
    company_id: int
    name: str  # the company's CRM name
    matched_name: str  # the CRM name or alias that matched
    score: int  # rapidfuzz WRatio of the normalised names, 0-100 (raw string likeness)
    confidence: float  # 0-1, calibrated against the thresholds
    method: Method
    notes: tuple[str, ...] = ()
    partial: bool = False  # the CRM name has words the typed name lacks ("Acme Labs" for "Acme")
    covers_typed: bool = True  # every typed word matched, apart from place, team and legal words

    @property
    def via_alias(self) -> bool:
        return self.matched_name != self.name


@dataclass(frozen=True, slots=True)
class Decision:
    text: str
    company_id: int | None
    confidence: float
    band: Band
    reason: str
    candidate: Candidate | None = None
    runner_up: Candidate | None = None
    ambiguous: bool = False  # review because the runner-up fits as well: a reviewer picks one


@dataclass(frozen=True, slots=True)
class Thresholds:
    auto: float = DEFAULT_AUTO_THRESHOLD
    review: float = DEFAULT_REVIEW_THRESHOLD
    ambiguity_margin: float = DEFAULT_AMBIGUITY_MARGIN

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.auto <= 1.0:
            raise ValueError(f"Need 0 <= review ({self.review}) <= auto ({self.auto}) <= 1.")
        if not 0.0 <= self.ambiguity_margin < 1.0:
            raise ValueError(f"Ambiguity margin {self.ambiguity_margin} must be in [0, 1).")


@dataclass(slots=True)
class _Hit:
    """A scored entry before it is turned into a Candidate (only the best few are)."""

    confidence: float
    eid: int
    method: Method
    partial: bool = False
    covers_typed: bool = True
    note: str = ""
    alignment: _Alignment | None = None


@dataclass(slots=True)
class _Alignment:
    confidence: float
    partial: bool = False
    covers_typed: bool = True
    # what the notes of a reason are made of, kept raw: only the candidates shown are explained
    inexact: list[tuple[str, str]] = field(default_factory=list)  # typed ~ CRM words
    ignored: list[tuple[str, str]] = field(default_factory=list)  # typed word, its role
    extra: list[str] = field(default_factory=list)  # typed words the CRM name lacks
    missing: list[str] = field(default_factory=list)  # CRM words not typed
    reordered: bool = False
    generic_only: bool = False

    def notes(self) -> tuple[str, ...]:
        notes = [f"{_quote(typed)}~{_quote(crm)}" for typed, crm in self.inexact]
        notes += [f"typed {_quote(word)} not in the CRM name" for word in self.extra]
        if self.ignored:
            notes.append("ignored " + ", ".join(f"{_quote(word)} ({role})" for word, role in self.ignored))
        if self.reordered:
            notes.append("word order differs")
        if self.missing:
            notes.append(f"CRM name has {', '.join(_quote(w) for w in self.missing)} not typed")
        if self.generic_only:
            notes.append("only common words match")
        return tuple(notes)


@dataclass(slots=True)
class _Query:
    """A typed name prepared for fuzzy scoring."""

    tokens: tuple[str, ...]
    kinds: list[TokenKind]
    splits: dict[int, list[tuple[str, str]]]  # glued typed words: position -> (left, right) cuts
    expansions: list[dict[str, float]]  # per position: vocabulary words it may stand for
    known: list[bool]  # per position: the word occurs in the corpus
    roles: list[str | None]  # per position: what an unmatched typed word is (worked out when needed)


def _edit_budget(length: int) -> int:
    """Edits allowed between a typed word and a CRM word, by the longer word's length."""
    if length < FUZZY_MIN_LENGTH:
        return 0
    return 1 if length < 9 else 2


def _quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return f"'{text if len(text) <= limit else text[: limit - 1] + '…'}'"


class CompanyNameIndex:
    """Resolve typed company names against CRM company names (and aliases) held in memory.

    ``companies`` are ``(company_id, name)`` pairs; ``aliases`` are further names of known companies
    (former names, workspace names already tied to them) as ``(company_id, alias)`` pairs. Build it
    once per resolution run: 100,000 companies index in a few seconds.
    """

    def __init__(
        self,
        companies: Iterable[tuple[int, str]],
        *,
        aliases: Iterable[tuple[int, str]] = (),
    ) -> None:
        self._company_names: dict[int, str] = {}
        self._entry_company: list[int] = []
        self._entry_text: list[str] = []
        self._entry_tokens: list[tuple[str, ...]] = []
        self._entry_legal: list[tuple[str, ...]] = []
        by_key: dict[str, list[int]] = defaultdict(list)
        by_compact: dict[str, list[int]] = defaultdict(list)
        by_initials: dict[str, list[int]] = defaultdict(list)
        postings: dict[str, list[int]] = defaultdict(list)

        def add(company_id: int, text: str) -> None:
            normalized = analyze(text)
            if normalized.junk or not normalized:
                return
            eid = len(self._entry_company)
            self._entry_company.append(company_id)
            self._entry_text.append(text)
            self._entry_tokens.append(normalized.tokens)
            self._entry_legal.append(normalized.legal)
            by_key[normalized.key].append(eid)
            if len(normalized.tokens) > 1:
                by_compact[normalized.compact].append(eid)
            for token in set(normalized.tokens):
                postings[token].append(eid)
            for spelling in {normalized.tokens, normalized.spelled}:  # "bam" and "boa" for Bank of America
                if len(spelling) >= 3:
                    by_initials[initialism(spelling)].append(eid)

        for company_id, name in companies:
            self._company_names[company_id] = name
            add(company_id, name)
        for company_id, alias in aliases:
            if company_id not in self._company_names:
                raise ValueError(f"Alias {alias!r} names unknown company {company_id}.")
            add(company_id, alias)

        self._by_key = dict(by_key)
        self._by_compact = dict(by_compact)
        self._by_initials = dict(by_initials)
        self._postings = dict(postings)
        self._size = max(len(self._entry_company), 1)
        self._max_idf = math.log(1 + self._size)
        self._weights: dict[str, float] = {}
        self._roles: dict[str, str | None] = {}
        self._kinds: dict[str, TokenKind] = {}
        self._variants: dict[str, dict[str, float]] = {}  # typed word -> typo variants, across queries
        deletes: dict[str, list[str]] = defaultdict(list)
        for token in self._postings:
            if len(token) >= FUZZY_MIN_LENGTH and not token.isdigit():
                for variant in _deletions(token):
                    deletes[variant].append(token)
        self._deletes = dict(deletes)
        self._entry_weight = [sum(map(self.weight, tokens)) for tokens in self._entry_tokens]

    def __len__(self) -> int:
        return len(self._company_names)

    def _kind(self, token: str) -> TokenKind:
        kind = self._kinds.get(token)
        if kind is None:
            kind = self._kinds[token] = token_kind(token)
        return kind

    def weight(self, token: str) -> float:
        """IDF over the corpus times the built-in weight of the token's kind."""
        cached = self._weights.get(token)
        if cached is None:
            postings = self._postings.get(token)
            idf = math.log(1 + self._size / len(postings)) if postings else self._max_idf
            cached = self._weights[token] = idf * KIND_WEIGHT[token_kind(token)]
        return cached

    # --- public API -------------------------------------------------------------------------------

    def match(self, text: str, *, limit: int = 3) -> list[Candidate]:
        """The best ``limit`` companies for a typed name, best first, at most one per company
        (fuzzy candidates are listed even when an exact hit exists)."""
        normalized = analyze(text)
        if normalized.junk:
            return []
        return self._rank(normalized, exhaustive=True, limit=limit)

    def decide(
        self,
        text: str,
        *,
        auto_threshold: float = DEFAULT_AUTO_THRESHOLD,
        review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
        ambiguity_margin: float = DEFAULT_AMBIGUITY_MARGIN,
    ) -> Decision:
        """Resolve one typed name: company, confidence, band and a reason a reviewer can read."""
        return self.match_many(
            [text], auto_threshold=auto_threshold, review_threshold=review_threshold,
            ambiguity_margin=ambiguity_margin,
        )[0]

    def match_many(
        self,
        texts: Sequence[str],
        *,
        auto_threshold: float = DEFAULT_AUTO_THRESHOLD,
        review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
        ambiguity_margin: float = DEFAULT_AMBIGUITY_MARGIN,
    ) -> list[Decision]:
        """Decide many typed names; names that normalise alike are scored once."""
        thresholds = Thresholds(auto_threshold, review_threshold, ambiguity_margin)
        return [decide_ranked(text, ranked, thresholds) for text, ranked in zip(texts, self.rank_many(texts))]

    def rank_many(self, texts: Sequence[str]) -> list[list[Candidate] | None]:
        """The best two candidates per typed name (None for junk): everything a decision needs that
        does not depend on the thresholds, so callers may keep it between runs (see
        :func:`decide_ranked`). Names that normalise alike are scored once."""
        ranked: dict[NormalizedName, list[Candidate]] = {}
        analyzed: dict[str, NormalizedName] = {}
        found: list[list[Candidate] | None] = []
        for text in texts:
            normalized = analyzed.get(text)
            if normalized is None:
                normalized = analyzed[text] = analyze(text)
            if normalized.junk:
                found.append(None)
                continue
            candidates = ranked.get(normalized)
            if candidates is None:
                candidates = ranked[normalized] = self._rank(normalized, exhaustive=False, limit=2)
            found.append(candidates)
        return found

    # --- ranking ----------------------------------------------------------------------------------

    def _rank(self, normalized: NormalizedName, *, exhaustive: bool, limit: int) -> list[Candidate]:
        if not normalized:
            return []
        best: dict[int, _Hit] = {}

        def keep(hit: _Hit) -> None:
            company_id = self._entry_company[hit.eid]
            current = best.get(company_id)
            if current is None or hit.confidence > current.confidence:
                best[company_id] = hit

        exact_eids = self._by_key.get(normalized.key, [])
        for hit in self._exact_hits(normalized, exact_eids):
            keep(hit)
        for eid in self._by_compact.get(normalized.compact, ()):
            if eid not in exact_eids:
                keep(_Hit(SPACING_CONFIDENCE, eid, Method.SPACING, note="same letters, other spacing"))
        if not best:
            for hit in self._prefix_hits(normalized):
                keep(hit)
        if exhaustive or not best:
            query = self._prepare(normalized)
            for eid, alignment in self._fuzzy(query, skip=set(exact_eids)):
                keep(_Hit(alignment.confidence, eid, Method.FUZZY, alignment.partial, alignment.covers_typed,
                          alignment=alignment))
            for eid, note in self._initialism_hits(normalized):
                keep(_Hit(INITIALISM_CONFIDENCE, eid, Method.INITIALISM, note=note))
        top = sorted(best.values(), key=lambda h: (-h.confidence, self._entry_text[h.eid], h.eid))[:limit]
        return [self._candidate(normalized, hit) for hit in top]

    def _candidate(self, normalized: NormalizedName, hit: _Hit) -> Candidate:
        company_id = self._entry_company[hit.eid]
        entry = self._entry_tokens[hit.eid]
        if hit.alignment is not None:
            notes = hit.alignment.notes()
        else:
            notes = (hit.note,) if hit.note else ()
        return Candidate(
            company_id=company_id,
            name=self._company_names[company_id],
            matched_name=self._entry_text[hit.eid],
            score=100 if hit.method is Method.EXACT else round(fuzz.WRatio(normalized.key, " ".join(entry))),
            confidence=round(hit.confidence, 4),
            method=hit.method,
            notes=notes,
            partial=hit.partial,
            covers_typed=hit.covers_typed,
        )

    def _prefix_hits(self, normalized: NormalizedName) -> list[_Hit]:
        """A CRM name followed only by places, team words or legal forms: "Acme Data Berlin" is
        "Acme Data" if the CRM has it, else "Acme". The longest such CRM name wins, as an exact hit."""
        tokens = normalized.tokens
        factor = 1.0
        ignored: list[tuple[str, str]] = []
        for cut in range(len(tokens) - 1, 0, -1):
            token = tokens[cut]
            if token not in _BUILTIN_WORD_ROLE and token not in self._postings:
                return []  # an unknown word: leave it to fuzzy scoring (it may be a typo)
            role = self._role(token, self._kind(token))
            if role not in _ROLE_FACTOR:
                return []
            factor *= _ROLE_FACTOR[role]
            ignored.insert(0, (token, role))
            eids = self._by_key.get(" ".join(tokens[:cut]))
            if eids:
                alignment = _Alignment(factor, ignored=ignored)
                return [_Hit(factor, eid, Method.PREFIX, alignment=alignment) for eid in eids]
        return []

    def _exact_hits(self, normalized: NormalizedName, eids: list[int]) -> list[_Hit]:
        if not eids:
            return []
        several = len({self._entry_company[eid] for eid in eids}) > 1
        same_form = {eid for eid in eids if normalized.legal and self._entry_legal[eid] == normalized.legal}
        hits = []
        for eid in eids:
            if several and same_form and eid not in same_form:  # "Acme GmbH" typed; "Acme Inc" too
                legal = " ".join(self._entry_legal[eid]) or "none"
                hits.append(_Hit(OTHER_LEGAL_FORM_CONFIDENCE, eid, Method.EXACT,
                                 note=f"same name, but legal form {legal} differs from typed "
                                      f"{' '.join(normalized.legal)}"))
            else:
                hits.append(_Hit(EXACT_CONFIDENCE, eid, Method.EXACT,
                                 note="same name once legal form, case, accents and punctuation are ignored"))
        return hits

    def _initialism_hits(self, normalized: NormalizedName) -> list[tuple[int, str]]:
        tokens = normalized.tokens
        if len(tokens) == 1 and 3 <= len(tokens[0]) <= 6 and tokens[0].isalpha():
            return [(eid, f"{_quote(tokens[0])} are the initials of the CRM name")
                    for eid in self._by_initials.get(tokens[0], ())]
        if len(tokens) >= 3:
            letters = initialism(tokens)
            return [(eid, f"the CRM name is the initialism {_quote(letters)} of the typed name")
                    for eid in self._by_key.get(letters, ())]
        return []

    # --- blocking ---------------------------------------------------------------------------------

    def _prepare(self, normalized: NormalizedName) -> _Query:
        tokens = normalized.tokens
        splits: dict[int, list[tuple[str, str]]] = {}
        expansions: list[dict[str, float]] = []
        for i, token in enumerate(tokens):
            options: dict[str, float] = {}
            if token in self._postings:
                options[token] = 1.0
            else:
                options.update(self._typo_variants(token))
                if i + 1 < len(tokens) and token + tokens[i + 1] in self._postings:  # "hew lett"
                    options[token + tokens[i + 1]] = GLUED_WORDS_SIMILARITY
                cuts = [] if options else self._splits(token)  # "hewlettpackard", "ikeaof"
                if cuts:
                    splits[i] = cuts
                    for part in (p for cut in cuts for p in cut):
                        if part in self._postings:
                            options.setdefault(part, GLUED_WORDS_SIMILARITY)
            expansions.append(options)
        kinds = []
        for token, options in zip(tokens, expansions):
            kind = token_kind(token)
            if token in LEGAL_SUFFIXES:  # left in the middle of a typed name: "Acme Ltd Berlin"
                kind = TokenKind.DEPARTMENT
            elif kind is TokenKind.DISTINCTIVE and token not in self._postings:
                if options:  # a misspelt word takes the kind of what it stands for ("manufacturign")
                    kind = min(token_kind(word) for word in options)
                else:
                    kind = _KIND_OF_ROLE.get(self._unknown_word_role(token), kind)
            kinds.append(kind)
        known = [token in self._postings for token in tokens]
        return _Query(tokens, kinds, splits, expansions, known, [None] * len(tokens))

    def _role(self, token: str, kind: TokenKind) -> str:
        """What a typed word the CRM name lacks stands for: a place, a team, a legal form, an
        organisation word ("Group") - all forgiven - or a generic or distinctive word, which are not."""
        if token in LEGAL_SUFFIXES:
            return _LEGAL
        if token in GEO_WORDS:
            return _PLACE
        if token in DEPARTMENT_WORDS:
            return _TEAM
        if token in WEAK_ORG_WORDS:
            return _ORG
        role = _ROLE_OF_KIND[kind]
        if kind is TokenKind.DISTINCTIVE and token not in self._postings:
            role = self._unknown_word_role(token) or role  # a misspelt generic or legal word?
        return role

    def _splits(self, token: str) -> list[tuple[str, str]]:
        """Ways to cut a glued typed word into two known words (or a known word and "of", "the"...)."""
        if len(token) < 6:
            return []
        splits = []
        for cut in range(2, len(token) - 1):
            left, right = canonical_token(token[:cut]), canonical_token(token[cut:])
            left_known, right_known = left in self._postings, right in self._postings
            if (left_known and (right_known or right in _DROPPABLE)) or (right_known and left in _DROPPABLE):
                splits.append((left, right))
        return splits

    def _typo_variants(self, token: str) -> dict[str, float]:
        """Vocabulary words within the typo budget of a typed word unknown to the corpus, found
        through the deletion index."""
        if len(token) < SHORTEST_TYPO_WORD or token.isdigit():
            return {}
        cached = self._variants.get(token)
        if cached is not None:
            return cached
        if len(self._variants) > VARIANT_CACHE_SIZE:
            self._variants.clear()
        seen: set[str] = set()
        postings, deletes = self._postings, self._deletes
        probes = {token, squeeze(token), *_typed_forms(token)}
        if len(token) >= FUZZY_MIN_LENGTH:
            first = _deletions(token)
            probes |= first
            if _edit_budget(len(token)) > 1:  # two edits: deletions of deletions, of the word as typed
                probes |= {d2 for d1 in first for d2 in _deletions(d1)}
        for probe in probes:
            if probe in postings:
                seen.add(probe)
            found = deletes.get(probe)
            if found:
                seen.update(found)
        variants = {}
        for word in sorted(seen):  # in a fixed order (a set's depends on the process's hash seed)
            similarity = _typo_similarity(token, word, known_word=False)
            if similarity:
                variants[word] = similarity
        self._variants[token] = variants
        return variants

    def _fuzzy(self, query: _Query, *, skip: set[int]) -> list[tuple[int, _Alignment]]:
        postings = self._postings
        opening: list[tuple[int, str, float]] = []
        rerank: list[tuple[str, float]] = []
        for options, kind in zip(query.expansions, query.kinds):
            for word, similarity in options.items():
                if kind in _TELLING:
                    opening.append((len(postings[word]), word, similarity))
                else:
                    rerank.append((word, similarity))
        if not opening:
            if any(kind in _TELLING for kind in query.kinds):
                return []  # its distinctive word is unknown: common words alone cannot reach review
            # only generic words, places and team words: a candidate must share two of them (one
            # shared common word is capped below review), found through the rarest
            if len({w for w, _ in rerank}) < 2:
                return []
            rarest = min((len(postings[w]), w, s) for w, s in rerank)
            if rarest[0] > FALLBACK_CAP:
                return []
            others = {w for w, _ in rerank if w != rarest[1]}
            entry_tokens = self._entry_tokens
            pool = [eid for eid in postings[rarest[1]] if not others.isdisjoint(entry_tokens[eid])]
            w = self.weight(rarest[1]) * rarest[2]
            scores = dict.fromkeys(pool, w)
            rerank = [(word, s) for word, s in rerank if word != rarest[1]]
            opening = []
        else:
            scores = {}
        opening.sort()
        for df, word, similarity in opening:
            if scores and len(scores) + df > OPEN_LIMIT:
                rerank.append((word, similarity))  # too common to open more candidates
                continue
            w = self.weight(word) * similarity
            for eid in postings[word]:
                scores[eid] = scores.get(eid, 0.0) + w
        if rerank:
            weighted = [(word, self.weight(word) * similarity) for word, similarity in rerank]
            entry_tokens = self._entry_tokens
            for eid in scores:
                entry = entry_tokens[eid]
                for word, w in weighted:
                    if word in entry:
                        scores[eid] += w
        query_weight = sum(map(self.weight, query.tokens)) + 1e-9
        entry_weight = self._entry_weight
        # weighted Jaccard of the shared words: a cheap estimate to pick whom to score fully
        estimates = [(shared / (query_weight + entry_weight[eid] - shared), eid)
                     for eid, shared in scores.items() if eid not in skip]
        shortlist = heapq.nlargest(CANDIDATES_SCORED, estimates) if len(estimates) > CANDIDATES_SCORED else estimates
        if not shortlist:
            return []
        floor = max(shortlist)[0] * SHORTLIST_FLOOR
        aligned = []
        for estimate, eid in shortlist:
            if estimate >= floor:
                alignment = self._align(query, self._entry_tokens[eid])
                if alignment.confidence > 0:
                    aligned.append((eid, alignment))
        return aligned

    # --- scoring ----------------------------------------------------------------------------------

    def _unknown_word_role(self, token: str) -> str | None:
        """For a typed word the corpus does not know: the role of the built-in word it misspells
        ("Commpanies" is a legal form, "Techhnologies" a generic word), or None."""
        if token in self._roles:
            return self._roles[token]
        role = None
        if len(token) >= SHORTEST_TYPO_WORD:
            # the word as typed first, then its singular guesses, then squeezed: the first hit wins, so
            # the order must not be a set's (it would depend on the process's hash seed)
            for form in dict.fromkeys([*_typed_forms(token), squeeze(token)]):
                hit = rf_process.extractOne(
                    form, _BUILTIN_WORDS, scorer=OSA.distance, score_cutoff=_edit_budget(len(form))
                )
                if hit and _typo_similarity(token, hit[0], known_word=False):
                    role = _BUILTIN_WORD_ROLE[hit[0]]
                    break
        self._roles[token] = role
        return role

    def _align(self, query: _Query, entry: tuple[str, ...]) -> _Alignment:
        """Confidence that the typed words and a CRM entry's words name the same company."""
        typed = query.tokens
        weight = self.weight
        q_used: dict[int, tuple[int, ...]] = {}
        e_used: set[int] = set()
        matched_weight = full_weight = 0.0
        result = _Alignment(0.0)
        distinctive_matched = False
        matches: list[tuple[tuple[int, ...], tuple[int, ...], float]] = []  # (typed, crm) positions

        # 1. identical words
        for i, token in enumerate(typed):
            for j, word in enumerate(entry):
                if token == word and j not in e_used:
                    q_used[i] = (j,)
                    e_used.add(j)
                    matches.append(((i,), (j,), 1.0))
                    break
        if len(q_used) < len(typed) and len(e_used) < len(entry):
            # 2. glued or split words: "hewlettpackard" for "hewlett packard", "micro soft" for "microsoft"
            for i, cuts in query.splits.items():
                for left, right in cuts:
                    if i in q_used:
                        break
                    for j, word in enumerate(entry):
                        if j in e_used:
                            continue
                        if left in _DROPPABLE or right in _DROPPABLE:
                            if word in (left, right):
                                q_used[i] = (j,)
                                e_used.add(j)
                                matches.append(((i,), (j,), GLUED_WORDS_SIMILARITY))
                                break
                        elif j + 1 < len(entry) and j + 1 not in e_used and (word, entry[j + 1]) == (left, right):
                            q_used[i] = (j, j + 1)
                            e_used.update((j, j + 1))
                            matches.append(((i,), (j, j + 1), GLUED_WORDS_SIMILARITY))
                            break
            if len(typed) > 1:
                for j, word in enumerate(entry):
                    if j in e_used:
                        continue
                    for i in range(len(typed) - 1):
                        if i not in q_used and i + 1 not in q_used and typed[i] + typed[i + 1] == word:
                            q_used[i] = q_used[i + 1] = (j,)
                            e_used.add(j)
                            matches.append(((i, i + 1), (j,), GLUED_WORDS_SIMILARITY))
                            break
            # 3. typos, best pairs first
            pairs = [
                (similarity, i, j)
                for i, token in enumerate(typed)
                if i not in q_used
                for j, word in enumerate(entry)
                if j not in e_used
                and (similarity := _typo_similarity(token, word, known_word=query.known[i]))
            ]
            for similarity, i, j in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
                if i not in q_used and j not in e_used:
                    q_used[i] = (j,)
                    e_used.add(j)
                    matches.append(((i,), (j,), similarity))
        for positions, words, similarity in matches:
            w = weight(entry[words[0]]) if len(words) == 1 else sum(weight(entry[j]) for j in words)
            matched_weight += w * similarity
            full_weight += w
            if not distinctive_matched:
                distinctive_matched = any(self._kind(entry[j]) in _TELLING for j in words)
            if similarity < 1.0:
                result.inexact.append((" ".join(typed[i] for i in positions), " ".join(entry[j] for j in words)))
        if not q_used:
            return result

        factor = 1.0
        unmatched_weight = 0.0
        covers_typed = True
        for i, token in enumerate(typed):
            if i in q_used:
                continue
            role = query.roles[i]
            if role is None:
                role = query.roles[i] = self._role(token, query.kinds[i])
            if role in _ROLE_FACTOR:
                factor *= _ROLE_FACTOR[role]
                result.ignored.append((token, role))
                continue
            covers_typed = False
            if role == _GENERIC and not query.known[i]:
                unmatched_weight += self._max_idf * KIND_WEIGHT[TokenKind.GENERIC]
            else:
                unmatched_weight += self.weight(token)
            result.extra.append(token)
        missing = result.missing = [word for j, word in enumerate(entry) if j not in e_used]
        for word in missing:
            if word in WEAK_ORG_WORDS:  # "Volkswagen Group" for "Volkswagen"
                factor *= ORG_WORD_FACTOR
            else:  # half weight: people shorten names; the cap below keeps it out of auto
                unmatched_weight += MISSING_WORD_WEIGHT * self.weight(word)
        confidence = matched_weight / (full_weight + unmatched_weight) * factor
        order = [j for i in sorted(q_used) for j in q_used[i]]
        if order != sorted(order):
            confidence *= WORD_ORDER_FACTOR
            result.reordered = True
        if missing:
            if any(word not in WEAK_ORG_WORDS for word in missing):
                confidence = min(confidence, MISSING_WORD_CAP)
        if not covers_typed:  # "Target Logistics" is not necessarily "Target"
            confidence = min(confidence, EXTRA_WORD_CAP)
        if not distinctive_matched:
            # "Capital One" in "Capital One Financial" may be reviewed; "Bank" in "Bank of the West" not
            contained = covers_typed and (not missing or len(e_used) >= 2)
            confidence = min(confidence, GENERIC_ONLY_CONTAINED_CAP if contained else GENERIC_ONLY_CAP)
            result.generic_only = True
        result.confidence, result.partial, result.covers_typed = confidence, bool(missing), covers_typed
        return result


_ROLE_FACTOR = {_LEGAL: EXTRA_LEGAL_FACTOR, _PLACE: EXTRA_PLACE_FACTOR, _TEAM: EXTRA_TEAM_FACTOR, _ORG: ORG_WORD_FACTOR}


# --- helpers ----------------------------------------------------------------------------------------


def _deletions(token: str) -> set[str]:
    return {token[:k] + token[k + 1 :] for k in range(len(token))}


def _typed_forms(token: str) -> list[str]:
    """A typed word and its singular guesses ("hodlings" -> "hodling"): CRM words are canonical."""
    forms = [token]
    if len(token) > SHORTEST_TYPO_WORD and token.endswith("s"):
        forms.append(token[:-1])
        if token.endswith("ies"):
            forms.append(token[:-3] + "y")
    return forms


def _typo_similarity(typed: str, word: str, *, known_word: bool) -> float:
    """Similarity of two different words if one may be a typo of the other, else 0.

    The edit budget (optimal string alignment: a swap of neighbours is one edit) is 0 when either
    word is shorter than four letters or both are shorter than five ("Acma" is not "Acme"), 1 up to
    eight letters and 2 from nine; the first letter must agree. Doubled letters ("Maerrsk") and a
    plural "s" are forgiven. Near-misses of words under seven letters stay below auto-accept, and a
    typed word that is itself a word of the corpus is a weaker typo suspect ("Phillips" vs
    "Philips"), so it loses more per edit.
    """
    if typed[0] != word[0] or min(len(typed), len(word)) < SHORTEST_TYPO_WORD:
        return 0.0
    per_edit = 1.0 if known_word else TYPO_EDIT_COST
    best = 0.0
    for form in _typed_forms(typed):
        if form == word:
            best = max(best, 0.85 if known_word else 0.97)
            continue
        longest = max(len(form), len(word))
        budget = _edit_budget(longest)
        if budget and abs(len(form) - len(word)) <= budget:
            distance = OSA.distance(form, word, score_cutoff=budget)
            if distance <= budget:
                best = max(best, 1.0 - per_edit * distance / longest)
    if best < 0.85 and squeeze(typed) == squeeze(word):
        best = 0.85 if known_word or len(squeeze(word)) <= SHORTEST_TYPO_WORD else 0.95
    return best


def _junk_decision(text: str) -> Decision:
    return Decision(
        text=text, company_id=None, confidence=0.0, band=Band.NONE,
        reason=f"typed {_quote(text or '')} is not a company name",
    )


def _describe(text: str, candidate: Candidate) -> str:
    exact = candidate.method in _EXACT_METHODS and candidate.confidence >= SPACING_CONFIDENCE
    parts = [f"typed {_quote(text)} {'=' if exact else '≈'} {_quote(candidate.name)} ({candidate.score})"]
    if not exact:
        parts[0] += f", confidence {candidate.confidence:.2f}"
    if candidate.via_alias:
        parts.append(f"via alias {_quote(candidate.matched_name)}")
    parts.extend(candidate.notes)
    return "; ".join(parts)


def decide_ranked(text: str, candidates: list[Candidate] | None, thresholds: Thresholds) -> Decision:
    """The decision for a typed name from what :meth:`CompanyNameIndex.rank_many` found for it."""
    if candidates is None:
        return _junk_decision(text)
    return _decide(text, candidates, thresholds)


def _decide(text: str, candidates: list[Candidate], thresholds: Thresholds) -> Decision:
    if not candidates or candidates[0].confidence < thresholds.review:
        best = candidates[0] if candidates else None
        reason = f"no CRM company name is close to {_quote(text)}"
        if best:
            reason += f" (best {_quote(best.name)}, confidence {best.confidence:.2f})"
        return Decision(text, None, best.confidence if best else 0.0, Band.NONE, reason[:REASON_MAX_LENGTH], None, best)
    top = candidates[0]
    runner_up = candidates[1] if len(candidates) > 1 else None
    ambiguous = (
        runner_up is not None
        and runner_up.confidence >= thresholds.review
        and not (top.method in _EXACT_METHODS and runner_up.method not in _EXACT_METHODS)
        and (
            top.confidence - runner_up.confidence < thresholds.ambiguity_margin
            # "Schlumberger" is contained in both "Schlumberger Holdings" and "... Technology"
            or (top.partial and runner_up.covers_typed and runner_up.method is not Method.INITIALISM)
        )
    )
    description = _describe(text, top)
    if ambiguous:
        assert runner_up is not None
        band = Band.REVIEW
        reason = (f"ambiguous: typed {_quote(text)} fits both {_quote(top.name)} ({top.confidence:.2f}) and "
                  f"{_quote(runner_up.name)} ({runner_up.confidence:.2f}); {description}")
    elif top.method is Method.INITIALISM:
        band = Band.REVIEW
        reason = f"{description}; initialisms are never auto-accepted"
    elif top.confidence >= thresholds.auto:
        band = Band.AUTO
        reason = description
    else:
        band = Band.REVIEW
        reason = f"{description}; confidence {top.confidence:.2f} is below auto-accept {thresholds.auto:.2f}"
        if runner_up is not None and runner_up.confidence >= thresholds.review:
            reason += f"; runner-up {_quote(runner_up.name)} ({runner_up.confidence:.2f})"
    return Decision(text, top.company_id, top.confidence, band, reason[:REASON_MAX_LENGTH], top, runner_up, ambiguous)
