"""Quality of the company-name matcher on the labelled set (tests/accounts/matching_set.py).

    .venv/bin/python bench/match_quality.py [--seed N] [--per-company N] [--show-errors]
        [--auto 0.9 --review 0.6 --margin 0.1]

Prints auto-accept precision, recall (auto + review with the right company), auto recall, the
per-variant breakdown and, with --show-errors, every wrong auto-accept and every miss.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accounts.matching import CompanyNameIndex  # noqa: E402
from tests.accounts.matching_set import CRM, evaluate, typed_names  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--per-company", type=int, default=2)
    parser.add_argument("--auto", type=float, default=0.90)
    parser.add_argument("--review", type=float, default=0.60)
    parser.add_argument("--margin", type=float, default=0.10)
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()

    index = CompanyNameIndex((c.id, c.name) for c in CRM)
    names = typed_names(seed=args.seed, per_company=args.per_company)
    decisions = index.match_many(
        [n.text for n in names], auto_threshold=args.auto, review_threshold=args.review,
        ambiguity_margin=args.margin,
    )
    quality = evaluate(names, decisions)
    print(f"CRM companies: {len(CRM)}")
    print(quality.summary())
    bands: dict[str, Counter] = {}
    for name, decision in zip(names, decisions):
        bands.setdefault(name.variant, Counter())[str(decision.band)] += 1
    print(f"\n{'variant':14} {'n':>4} {'auto':>5} {'review':>6} {'none':>5}")
    for variant, counts in sorted(bands.items()):
        print(f"{variant:14} {sum(counts.values()):4} {counts['auto']:5} {counts['review']:6} {counts['none']:5}")
    if args.show_errors:
        print("\nWRONG AUTO-ACCEPTS")
        for name, d in quality.wrong_auto:
            print(f"  [{name.variant}] {name.text!r} (truth: {name.source!r}) -> {d.reason}")
        print("\nMISSED (labelled company not proposed)")
        for name, d in quality.missed:
            print(f"  [{name.variant}] {name.text!r} (truth: {name.source!r}) -> {d.band}: {d.reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
