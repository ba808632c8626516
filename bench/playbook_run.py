"""A playbook run over 100,000 companies on PostgreSQL: time, and query count against the number of companies.

    .venv/bin/python bench/playbook_run.py [--server postgres://postgres@127.0.0.1:5432] [--db revops_bench_playbooks]
                                           [--companies 100000] [--seed 7] [--keep]

Synthetic data loaded with COPY into a scratch database (dropped and created again: it must be a scratch
database): companies with a tier, an employee count, a potential and an owner among ten reps of two teams;
workspaces per company Zipf-like (most have none or one, a few have many), MRR by seats. The signal has
three conditions — workspaces ≥ 3, penetration < 10 %, tier in (enterprise, mid-market) — and the run
assigns, writes the plays and copies a four-step checklist, exactly as "Run now" does.

Printed: for 10 % of the companies and then for all of them, the first run (plays created) and a second
run (nothing new: every match already has an open play) — seconds, matches, new plays and queries.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PROTECTED = {"postgres", "test", "template0", "template1"}
TIERS = (("enterprise", 0.12), ("mid_market", 0.3), ("smb", 0.45), ("", 0.13))
SIGNAL = {"match": "all", "conditions": [
    {"metric": "workspace_count", "operator": "gte", "value": 3},
    {"metric": "penetration", "operator": "lt", "value": 10},
    {"metric": "tier", "operator": "in", "value": ["enterprise", "mid_market"]},
]}


def copy(conn, table: str, columns: list[str], rows) -> int:
    n = 0
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))
    with conn.cursor() as cur, cur.copy(statement) as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


def load(url: str, *, first: int, last: int, owners: list[int], seed: int) -> tuple[int, int]:
    """Companies first+1 … last (ids), with their workspaces."""
    rng = random.Random(f"{seed}:{first}")
    now = datetime.now(UTC)
    companies, workspaces = [], []
    for cid in range(first + 1, last + 1):
        roll, tier = rng.random(), ""
        for name, share in TIERS:
            roll -= share
            if roll <= 0:
                tier = name
                break
        employees = {"enterprise": 8000, "mid_market": 900, "smb": 60, "": 20}[tier]
        employees = max(1, int(employees * rng.lognormvariate(0, 0.6)))
        potential = round(employees * rng.uniform(150, 600), -2)
        companies.append((cid, f"B-C{cid:07d}", f"Company {cid}", "Software", employees, potential, tier, "US",
                          rng.choice(owners) if rng.random() < 0.9 else None, now, now))
        count = min(12, int(rng.paretovariate(1.4)) - 1) if rng.random() < 0.7 else 0
        for w in range(count):
            seats = rng.randint(2, 80)
            workspaces.append((f"B-W{cid:07d}-{w}", f"Workspace {cid}-{w}", "team", seats, seats * 12, "active", now,
                               cid, now, now, "", "", ""))
    with psycopg.connect(url) as conn:
        copy(conn, "accounts_company", ["id", "external_id", "name", "industry", "employee_count", "potential_arr", "tier",
                                        "country", "owner_id", "created_at", "updated_at"], companies)
        copy(conn, "accounts_workspace", ["external_id", "name", "plan", "seats", "mrr", "status", "created_at",
                                          "company_id", "imported_at", "updated_at", "match_method", "match_status",
                                          "match_reason"], workspaces)
        conn.execute("ANALYZE")
    return len(companies), len(workspaces)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="revops_bench_playbooks")
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()
    if args.db in PROTECTED:
        sys.exit(f"Refusing to drop {args.db!r}: give a scratch database name.")
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(args.db)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.db)))
    url = f"{args.server}/{args.db}"
    os.environ.update({"DATABASE_URL": url, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "revops.settings.base"})

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.models import Profile, Team
    from django.contrib.auth.models import Group, User
    from playbooks.models import Play, Playbook, PlaybookRun, PlaybookStep
    from playbooks.services import playbook_run_create, playbook_run_execute
    from revops import roles

    rep_group = Group.objects.get(name=roles.REP)
    owners = []
    for t in range(2):
        team = Team.objects.create(name=f"Team {t}")
        for r in range(5):
            user = User.objects.create(username=f"rep{t}{r}")
            user.groups.add(rep_group)
            Profile.objects.create(user=user, team=team)
            owners.append(user.pk)
    playbook = Playbook.objects.create(name="Bench", slug="bench", signal=SIGNAL, context_metrics=["seats", "mrr"],
                                       max_open_plays_per_rep=100_000)
    for i in range(1, 5):
        PlaybookStep.objects.create(playbook=playbook, position=i, title=f"Step {i}", due_after_days=7 * i)

    def run(label: str, companies: int) -> None:
        created = playbook_run_create(playbook=playbook, trigger=PlaybookRun.Trigger.COMMAND)
        started = time.monotonic()
        result = playbook_run_execute(run_id=created.pk)
        wall = time.monotonic() - started
        assert result.status == "succeeded", result.error
        print(f"  {label:<34} {companies:>8,} companies  {wall:6.2f} s  matched {result.matched:>6,}  "
              f"new plays {result.new_plays:>6,}  already open {result.skipped_open:>6,}  queries {result.queries}")

    small = args.companies // 10
    started = time.monotonic()
    counts = load(url, first=0, last=small, owners=owners, seed=args.seed)
    print(f"loaded {counts[0]:,} companies, {counts[1]:,} workspaces with COPY in {time.monotonic() - started:.1f} s")
    print(f"signal: {SIGNAL}")
    run("first run (plays created)", small)
    run("second run (nothing new)", small)
    Play.objects.all().delete()
    started = time.monotonic()
    counts = load(url, first=small, last=args.companies, owners=owners, seed=args.seed)
    print(f"loaded {counts[0]:,} more companies, {counts[1]:,} workspaces with COPY in {time.monotonic() - started:.1f} s")
    run("first run (plays created)", args.companies)
    run("second run (nothing new)", args.companies)
    steps = Play.objects.filter(playbook=playbook).count()
    print(f"open plays: {steps:,}; checklist steps: {Play.objects.filter(playbook=playbook).values('steps').count():,}")

    from django.db import connections

    connections.close_all()
    if not args.keep:
        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(args.db)))


if __name__ == "__main__":
    main()
