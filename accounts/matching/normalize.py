"""Company-name normalisation and the built-in word lists the matcher relies on.

A typed or CRM company name becomes a tuple of canonical tokens:

    "Koninklijke Philips N.V."   -> ("philips",)
    "ACME CORP."                 -> ("acme",)
    "Société Générale S.A."      -> ("societe", "generale")
    "Procter & Gamble Co."       -> ("procter", "gamble")
    "Acme (UK) Ltd"              -> ("acme", "uk")
    "Hewlett-Packard"            -> ("hewlett", "packard")  (compact key "hewlettpackard")

Legal forms (Inc, LLC, GmbH, B.V., S.p.A., Sp. z o.o., ...) are removed from the end, legal prefixes
("The", "Koninklijke", "PT", "OOO", ...) from the start, small connecting words ("of", "the", "and",
"&", "de", ...) everywhere; accents are folded, punctuation and spacing ignored, and a few spelling
variants are made canonical (plural generic words, "Intl", "Labs", "Mfg", "United Kingdom" -> "uk").
The removed legal form is kept on the side: it breaks ties between "Acme Inc" and "Acme GmbH".
"""

from __future__ import annotations

import re
import unicodedata
from enum import IntEnum
from functools import lru_cache
from typing import NamedTuple

# --- word lists -----------------------------------------------------------------------------------

#: Legal-form tokens, stripped from the end of a name (after dotted abbreviations are joined:
#: "B.V." -> "bv", "S.p.A." -> "spa", "Sp. z o.o." -> "sp z oo").
LEGAL_SUFFIXES = frozenset(
    """
    inc incorporated corp corporation co cos company companies llc llp lp lllp pllc pc ltd limited plc na fsb
    gmbh mbh ag kg kgaa ohg ug gbr ev eg gesmbh
    bv nv vof cv cvba bvba sprl scrl
    sa sas sasu sarl sca scs snc se spa srl srls sapa scarl sl slu sll sau sae ltda eireli lda
    ab abp publ as asa aps ans oy oyj ehf hf is ks
    kk gk yk
    pte pty pvt private bhd sdn tbk
    ulc doo dd ad ood eood zrt kft nyrt bt sro spol sp z zoo oo akciova ooo zao oao pao ao jsc ojsc pjsc
    sac saa saic cia sab sapi cv de rl
    com
    """.split()
)

#: Tokens dropped from the start of a name: articles and legal prefixes.
LEADING_DROP = frozenset({"the", "koninklijke", "kon", "pt", "ooo", "zao", "oao", "pao", "jsc", "pjsc", "ojsc"})

#: Small connecting words that carry no identity anywhere in a name.
STOPWORDS = frozenset(
    {"the", "of", "and", "und", "et", "en", "y", "for", "de", "del", "der", "die", "das", "du", "des",
     "la", "le", "les", "el", "los", "di", "da", "do", "dos"}
)

#: Spelling variants made canonical before anything else looks at a token.
SYNONYMS: dict[str, str] = {
    "intl": "international", "int": "international", "internat": "international",
    "labs": "lab", "laboratory": "lab", "laboratories": "lab", "labo": "lab",
    "tech": "technology", "technologies": "technology", "techs": "technology", "technol": "technology",
    "mfg": "manufacturing", "manuf": "manufacturing",
    "svc": "service", "svcs": "service", "services": "service",
    "sys": "system", "systems": "system",
    "grp": "group", "groupe": "group", "gruppe": "group", "grupo": "group", "gruppo": "group",
    "holdings": "holding", "hldgs": "holding", "hldg": "holding",
    "natl": "national", "nat": "national",
    "assn": "association", "assoc": "associate", "associates": "associate",
    "univ": "university", "hosp": "hospital", "mgmt": "management", "mgt": "management",
    "bros": "brother", "brothers": "brother", "ctr": "center", "centre": "center",
    "comm": "communication", "comms": "communication", "communications": "communication",
    "telecommunications": "telecom", "telecommunication": "telecom",
    "pharmaceuticals": "pharmaceutical", "pharma": "pharmaceutical",
    "usa": "us", "deutschland": "germany", "nederland": "netherlands", "schweiz": "switzerland",
    "suisse": "switzerland", "espana": "spain", "italia": "italy", "osterreich": "austria",
    "sverige": "sweden", "danmark": "denmark", "norge": "norway", "suomi": "finland",
}

#: Two-token spellings folded into one token.
PHRASES: dict[tuple[str, str], str] = {
    ("united", "kingdom"): "uk", ("great", "britain"): "uk", ("united", "states"): "us",
    ("new", "york"): "newyork", ("hong", "kong"): "hongkong", ("south", "africa"): "southafrica",
    ("los", "angeles"): "losangeles", ("san", "francisco"): "sanfrancisco", ("sao", "paulo"): "saopaulo",
    ("new", "zealand"): "newzealand", ("north", "america"): "northamerica", ("latin", "america"): "latam",
    ("middle", "east"): "middleeast", ("tel", "aviv"): "telaviv", ("kuala", "lumpur"): "kualalumpur",
}

#: Business words so common that, alone, they can never identify a company. They still count
#: (a missing or extra "Bank" lowers a score), but with a small weight, and a match made only of
#: such words is never more than a weak hint.
GENERIC_WORDS = frozenset(
    """
    bank banking banco banque bancorp bankers financial finance finanz capital investment investments
    invest insurance assurance reinsurance mutual trust credit fund funds asset wealth equity securities
    partner advisor advisory consulting consultancy consultant service solution system technology
    software digital data analytics network networks communication telecom media energy power oil gas
    petroleum resource mining metal steel chemical pharmaceutical health healthcare medical hospital
    clinic care bio biotech life science lab research engineering construction building property
    properties real estate realty development industry industrial manufacturing product equipment
    machine machinery motor automotive auto electric electronic electrical electronics air airline
    line airway aviation aerospace transport transportation logistic logistics shipping freight express
    marine food beverage brand retail store market trading trade commerce import export distribution
    supply wholesale textile fashion apparel home hotel hotels hospitality travel entertainment studio
    game sport education university college school institute academy foundation association society
    council center global international worldwide world national general united universal american
    european asian pacific atlantic north south east west northern southern eastern western central
    first new royal union standard group holding enterprise venture corporate professional business
    commercial agency design creative marketing advertising print publishing news security defense
    defence environmental water utility utilities mobile wireless cloud cyber smart green blue red
    star sun one pro plus dental heavy light instrument instruments platform platforms associate
    management manufacturing partner partners specialty precision applied advanced integrated
    innovation innovative dynamics logic labs tool tools material materials paper packaging plastic
    plastics glass wood farm farms agri agriculture foods brewing brewery wine spirits tobacco
    railway railways rail road car cars truck trucks bus cargo port airport energie energia
    robotics robotic automation games gaming studios
    """.split()
)

#: Generic words that name the *kind* of organisation rather than what it does; a CRM name that has
#: one of these and the typed name lacks it ("Volkswagen Group" vs "Volkswagen") may still be
#: auto-accepted when nothing else competes.
WEAK_ORG_WORDS = frozenset(
    {"group", "holding", "international", "global", "worldwide", "enterprise", "corporate", "world"}
)

#: Places and regions. In a typed name they usually mean an office ("Acme Berlin", "Acme (UK)").
GEO_WORDS = frozenset(
    """
    uk us eu emea apac amer americas latam dach benelux nordic nordics anz asia europe africa
    oceania northamerica southamerica middleeast mena
    england scotland wales ireland britain germany france spain portugal italy netherlands holland
    belgium luxembourg switzerland austria poland czech slovakia hungary romania bulgaria greece
    turkey denmark sweden norway finland iceland estonia latvia lithuania russia ukraine israel
    canada mexico brazil argentina chile colombia peru china japan korea india singapore malaysia
    indonesia thailand vietnam philippines australia newzealand southafrica nigeria kenya egypt
    morocco uae dubai qatar saudi hongkong taiwan
    london manchester edinburgh dublin paris lyon berlin munich munchen hamburg frankfurt cologne
    koln stuttgart dusseldorf amsterdam rotterdam eindhoven utrecht brussels antwerp zurich geneva
    basel vienna wien prague warsaw krakow budapest madrid barcelona lisbon milan milano rome roma
    turin stockholm oslo copenhagen helsinki tallinn riga vilnius athens istanbul telaviv
    newyork nyc boston chicago seattle austin denver atlanta dallas houston miami toronto vancouver
    montreal sanfrancisco sf losangeles saopaulo tokyo osaka seoul beijing shanghai shenzhen
    bangalore bengaluru mumbai delhi hyderabad pune chennai sydney melbourne auckland cape town
    johannesburg lagos nairobi cairo kualalumpur jakarta bangkok manila
    leeds porto graz turin torino malmo perth brisbane gothenburg goteborg antwerpen bern lausanne
    fr nl ch at dk fi es pt pl cz ie be au nz ca mx br jp cn hk sg za ae se no it in
    north south east west northern southern eastern western central
    """.split()
)

#: Words a workspace or team name adds to a company name ("acme-data-team", "Acme Marketing EMEA").
DEPARTMENT_WORDS = frozenset(
    """
    team teams squad crew dept department division div unit office hq headquarters branch
    marketing sales engineering eng dev devs developer developers data it hr people finance legal
    ops operations devops product products design research analytics support success security
    platform infra infrastructure growth workspace org orgs project projects internal sandbox staging
    test testing prod production demo trial pilot poc main shared admin admins bi ml ai qa ux ui
    """.split()
)

#: Whole inputs that are not a company at all.
JUNK_NAMES = frozenset(
    """
    na n a none no nil null nothing nope unknown unkown tbd tba xxx xx x test testing asdf qwerty
    self selfemployed self employed freelance freelancer freelancing independent independant
    contractor consultant consulting personal private individual person me myself mine home family
    student students retired unemployed jobless looking job seeking between jobs na na
    company my company mycompany your company none yet not applicable notapplicable no company
    nocompany other others various misc sole trader soletrader own business my business mybusiness
    gmail yahoo hotmail outlook icloud protonmail mail email private person
    """.split()
) | frozenset(
    {"n a", "self employed", "no company", "my company", "not applicable", "sole trader", "own business",
     "my own", "my business", "between jobs", "private person", "looking for job", "none yet", "not yet",
     "just me", "for myself", "on my own", "not employed", "stay at home", "home office", "no name"}
)


class TokenKind(IntEnum):
    """How much a token says about identity; ordered from most to least telling."""

    DISTINCTIVE = 0
    GENERIC = 1
    GEO = 2
    DEPARTMENT = 3
    NUMBER = 4


def token_kind(token: str) -> TokenKind:
    if token.isdigit():
        return TokenKind.NUMBER
    if token in GEO_WORDS:
        return TokenKind.GEO
    if token in GENERIC_WORDS:
        return TokenKind.GENERIC
    if token in DEPARTMENT_WORDS:
        return TokenKind.DEPARTMENT
    return TokenKind.DISTINCTIVE


# --- normalisation --------------------------------------------------------------------------------

_TRANSLITERATE = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L",
     "đ": "d", "Đ": "D", "þ": "th", "Þ": "Th", "ı": "i", "&": " and ", "+": " and "}
)
# "acme.com", "acme.co.uk", "acme.io" -> "acme"
_DOMAIN_TAIL = re.compile(r"(?<=[a-z0-9])\.(?:com|net|org|io|ai|co|app|dev|biz|de|nl|fr)(?:\.[a-z]{2})?(?![a-z0-9])")
_APOSTROPHES = re.compile(r"['’‘`´]")
# dotted abbreviations: "b.v." -> "bv", "s.p.a." -> "spa", "u.s." -> "us", "j.p." -> "jp"
_DOTTED = re.compile(r"(?<![^\W_])((?:[^\W\d_]\.)+[^\W\d_])\.?(?![^\W_])")
_NON_WORD = re.compile(r"[\W_]+")
# "A/S", "I/S", "K/S" -> "as", "is", "ks"
_SLASHED = re.compile(r"(?<![^\W_])([^\W\d_])/([^\W\d_])(?![^\W_])")
_REPEATS = re.compile(r"(.)\1+")


class NormalizedName(NamedTuple):
    tokens: tuple[str, ...]  # canonical tokens: the identity of the name
    legal: tuple[str, ...] = ()  # the legal form (and legal prefix) that was removed
    junk: bool = False  # the input says nothing about a company ("n/a", "self", "student")
    spelled: tuple[str, ...] = ()  # tokens before stopwords were dropped, for initialisms ("boa")

    @property
    def key(self) -> str:
        return " ".join(self.tokens)

    @property
    def compact(self) -> str:
        return "".join(self.tokens)

    def __bool__(self) -> bool:
        return bool(self.tokens)


_ASCII_FOLD = str.maketrans({"&": " and ", "+": " and "})


def _fold(text: str) -> str:
    if text.isascii():  # the common case, ten times faster
        return text.translate(_ASCII_FOLD).lower()
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def _singular(token: str) -> str:
    """Plural generic words become singular ("industries" -> "industry", "motors" -> "motor")."""
    if token in GENERIC_WORDS or token in DEPARTMENT_WORDS or len(token) < 4:
        return token
    if token.endswith("ies") and token[:-3] + "y" in GENERIC_WORDS:
        return token[:-3] + "y"
    if token.endswith("s") and token[:-1] in GENERIC_WORDS:
        return token[:-1]
    return token


@lru_cache(maxsize=200_000)
def canonical_token(token: str) -> str:
    token = SYNONYMS.get(token, token)
    singular = _singular(token)
    return SYNONYMS.get(singular, singular)


def raw_tokens(text: str) -> list[str]:
    """Folded, punctuation-free tokens, before legal forms and stopwords are dropped."""
    text = _fold(text)
    if "." in text:
        text = _DOMAIN_TAIL.sub("", text)
        text = _DOTTED.sub(lambda m: m.group(1).replace(".", ""), text)
    if "'" in text or "`" in text or not text.isascii():
        text = _APOSTROPHES.sub("", text)
    if "/" in text:
        text = _SLASHED.sub(r"\1\2", text)
    return _NON_WORD.sub(" ", text).split()


def _is_junk_tokens(tokens: list[str]) -> bool:
    if not tokens:
        return True
    compact = "".join(tokens)
    return " ".join(tokens) in JUNK_NAMES or compact in JUNK_NAMES or len(compact) < 2 or compact.isdigit()


def analyze(text: str | None) -> NormalizedName:
    """Normalise a company name into canonical tokens plus the legal form that was removed."""
    if not text:
        return NormalizedName((), junk=True)
    raw = raw_tokens(text)
    junk = _is_junk_tokens(raw)
    tokens: list[str] = []
    for token in map(canonical_token, raw):
        phrase = PHRASES.get((tokens[-1], token)) if tokens else None
        if phrase:
            tokens[-1] = phrase
        else:
            tokens.append(token)
    legal: list[str] = []
    # legal forms and dangling connectors at the end: "Acme GmbH & Co. KG", "Acme Co., Ltd."
    while len(tokens) > 1 and (tokens[-1] in LEGAL_SUFFIXES or tokens[-1] in STOPWORDS):
        removed = tokens.pop()
        if removed in LEGAL_SUFFIXES:
            legal.insert(0, removed)
    while len(tokens) > 1 and (tokens[0] in LEADING_DROP or tokens[0] in STOPWORDS):
        removed = tokens.pop(0)
        if removed != "the":
            legal.insert(0, removed)
    kept = tuple(t for t in tokens if t not in STOPWORDS and t != "koninklijke") or tuple(tokens)
    return NormalizedName(kept, tuple(legal), junk, tuple(tokens) if len(tokens) != len(kept) else kept)


def normalize_company_name(name: str | None) -> str:
    """The comparison key of a company name: "Koninklijke Philips N.V." -> "philips"."""
    return analyze(name).key


def is_junk(text: str | None) -> bool:
    """True when a typed company name says nothing about a company ("n/a", "self", "-", "student")."""
    return not text or _is_junk_tokens(raw_tokens(text))


def squeeze(token: str) -> str:
    """Doubled letters collapsed: "maerrsk" -> "maersk", "phillips" -> "philips"."""
    return _REPEATS.sub(r"\1", token)


def initialism(tokens: tuple[str, ...] | list[str]) -> str:
    return "".join(t[0] for t in tokens if t)
