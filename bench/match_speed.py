"""Speed (and, as a by-product, quality at scale) of the company-name matcher.

    .venv/bin/python bench/match_speed.py [--companies 100000] [--typed 200000] [--seed 7]

Builds a synthetic CRM of ``--companies`` names (pseudo-words from syllables, so the vocabulary is as
large and as sparse as a real one, mixed with generic business words, places, "Bank of ..." style
names made of common words only, and legal forms by country), then decides ``--typed`` typed names
drawn uniformly from it (or, with --zipf, with big companies having more users) with the same variant mix as the labelled set (typos, legal forms, office
tails, workspace names, ...), plus 10 % names of companies not in the CRM and 5 % junk.
Prints index build time, decision time, throughput, and precision/recall against the known labels.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accounts.matching import CompanyNameIndex, normalize_company_name  # noqa: E402
from tests.accounts.matching_set import (  # noqa: E402
    JUNK,
    VARIANT_WEIGHTS,
    CrmCompany,
    TypedName,
    evaluate,
    variant,
)

_SYLLABLES = (
    "ka ri to mo na lu ve sa fi de bor tex vin qua zen lor mar tal nex gra pol sto fen dri cal mek ros "
    "tan ver lin bra sol nor kel vex dal per ston wick ham ford ley bury gen tron ix os ar el um ia ex "
    "ax ol or an in on us is ba be bi bo bu da di do du fa fe fo fu ga ge gi go gu ha he hi ho hu ja "
    "je jo ju ke ki ko ku la le li lo ma me mi mu ne ni no nu pa pe pi po pu ra re ro ru se si so su "
    "ta te ti tu va vi vo wa we wi wo ya yo za zo zu al il ul em am om im nd rt st sk sp tr pr kr vr"
).split()
_GENERIC = (
    "Technologies Solutions Systems Group Holdings International Software Consulting Partners Capital "
    "Industries Labs Digital Networks Services Energy Bank Insurance Logistics Foods Pharma Health "
    "Analytics Media Engineering Manufacturing Motors Global Ventures Financial Trust Retail Data Cloud "
    "Security Design Research Medical Robotics Aerospace Chemicals Materials Apparel Studios Games"
).split()
_COUNTRIES = ("US", "UK", "DE", "FR", "NL", "CH", "ES", "IT", "SE", "DK", "JP", "IN", "BR", "AU", "CA", "SG")
_LEGAL = {
    "US": ["Inc.", "LLC", "Corp."], "UK": ["Ltd", "plc"], "DE": ["GmbH", "AG"], "FR": ["SA", "SAS"],
    "NL": ["B.V.", "N.V."], "CH": ["AG", "SA"], "ES": ["S.L.", "S.A."], "IT": ["S.p.A.", "S.r.l."],
    "SE": ["AB"], "DK": ["A/S"], "JP": ["K.K.", "Co., Ltd."], "IN": ["Pvt Ltd"], "BR": ["Ltda."],
    "AU": ["Pty Ltd"], "CA": ["Inc."], "SG": ["Pte Ltd"],
}
_CITIES = ("Oslo", "Lyon", "Austin", "Leeds", "Porto", "Graz", "Turin", "Malmo", "Osaka", "Pune", "Perth")


def pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4)))).capitalize()


def synthetic_name(rng: random.Random, country: str) -> str:
    generic = lambda: rng.choice(_GENERIC)  # noqa: E731
    pattern = rng.random()
    if pattern < 0.30:
        name = pseudo_word(rng)
    elif pattern < 0.65:
        name = f"{pseudo_word(rng)} {generic()}"
    elif pattern < 0.75:
        name = f"{pseudo_word(rng)} {pseudo_word(rng)}"
    elif pattern < 0.85:
        name = f"{generic()} {pseudo_word(rng)}"
    elif pattern < 0.95:
        name = f"{pseudo_word(rng)} {generic()} {generic()}"
    else:
        name = f"{rng.choice(['First', 'National', 'United', 'Royal'])} {generic()} of {rng.choice(_CITIES)}"
    return f"{name} {rng.choice(_LEGAL[country])}" if rng.random() < 0.7 else name


def build_crm(n: int, rng: random.Random) -> list[CrmCompany]:
    companies, seen = [], set()
    while len(companies) < n:
        country = rng.choice(_COUNTRIES)
        name = synthetic_name(rng, country)
        if name.lower() not in seen:
            seen.add(name.lower())
            companies.append(CrmCompany(len(companies) + 1, name, country))
    return companies


def build_typed(crm: list[CrmCompany], n: int, rng: random.Random, zipf: float = 0.0) -> list[TypedName]:
    """Typed names; with ``zipf`` > 0 big companies get more users (weight 1 / rank ** zipf), as in a
    real product, so more typed names repeat."""
    kinds = list(VARIANT_WEIGHTS)
    # label hygiene: a typed name that normalises exactly to a CRM name means that company to anyone
    # ("Neil Ltd" when the CRM has "Neil K.K."; a typo that spells another company), so such names
    # are neither "not in the CRM" nor a variant of a different company
    owner = {normalize_company_name(c.name): c.id for c in crm}
    cumulative = None
    if zipf:
        cumulative = list(itertools.accumulate(1 / (rank + 1) ** zipf for rank in range(len(crm))))
    weights = [VARIANT_WEIGHTS[k] for k in kinds]
    known = {c.name.lower() for c in crm}
    typed: list[TypedName] = []
    while len(typed) < n:
        roll = rng.random()
        if roll < 0.05:
            text = rng.choice(JUNK)
            typed.append(TypedName(text, None, "junk", text))
        elif roll < 0.15:
            text = synthetic_name(rng, rng.choice(_COUNTRIES))
            if text.lower() not in known and normalize_company_name(text) not in owner:
                typed.append(TypedName(text, None, "not_in_crm", text))
        else:
            company = rng.choices(crm, cum_weights=cumulative)[0] if cumulative else rng.choice(crm)
            text = variant(company, rng.choices(kinds, weights=weights)[0], rng)
            if text and owner.get(normalize_company_name(text), company.id) == company.id:
                typed.append(TypedName(text, company.id, "variant", company.name))
    return typed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--typed", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--zipf", type=float, default=0.0,
                        help="draw companies with weight 1/rank**ZIPF instead of uniformly (e.g. 0.8)")
    parser.add_argument("--memory", action="store_true", help="also trace peak memory of the index (slower)")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    crm = build_crm(args.companies, rng)
    typed = build_typed(crm, args.typed, rng, zipf=args.zipf)
    print(f"synthetic CRM: {len(crm):,} companies; typed names: {len(typed):,} "
          f"({len({t.text for t in typed}):,} distinct)")

    if args.memory:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    index = CompanyNameIndex((c.id, c.name) for c in crm)
    built, built_cpu = time.perf_counter() - started, time.process_time() - cpu
    if args.memory:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"index memory peak: {peak / 2**20:,.0f} MiB")
    print(f"index built in {built:.2f} s wall, {built_cpu:.2f} s CPU")

    started, cpu = time.perf_counter(), time.process_time()
    decisions = index.match_many([t.text for t in typed])
    decided, decided_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{len(typed):,} decisions in {decided:.2f} s wall, {decided_cpu:.2f} s CPU "
          f"({len(typed) / decided:,.0f}/s, {decided / len(typed) * 1e6:.0f} µs each)")
    print(f"total {built + decided:.2f} s wall, {built_cpu + decided_cpu:.2f} s CPU "
          f"(wall above CPU means other processes competed for the cores)")

    quality = evaluate(typed, decisions)
    print(quality.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
