"""The weekly review at scale on PostgreSQL: 100,000 companies, 500,000 stakeholders, 2,000,000
interactions; the review of a team's top accounts, through real URLs, with its query count and time.

    .venv/bin/python bench/weekly_review.py [--server postgres://postgres@127.0.0.1:5432]
                                            [--db revops_bench_review] [--companies 100000]
                                            [--stakeholders 500000] [--interactions 2000000]
                                            [--teams 20] [--reps 10] [--seed 7] [--reuse]

Synthetic data loaded with COPY into a scratch database (dropped and created again): 20 teams of a
manager and 10 reps; companies owned by the reps (5 % unowned), one paying workspace each (the ARR),
a potential; stakeholders (0–10 per company, about five on average; key ranks on the top five; 5 %
left the company) with reporting lines; interactions over two years with one to three participants
each, some with next steps (a few overdue). Last contact per stakeholder is computed from the
generated interactions, as the services would store it.

The measurement runs in a child process with Django pointed at the scratch database: a manager of
one team (about 4,750 accounts) signs in and GETs the review — the JSON API
(``/api/v1/weekly-review/``, 5, 25 and 100 accounts) and the page (``/review/``, 10, 25 and 100) —
for each ranking. Printed per request: queries (CaptureQueriesContext), the first request's time with
an empty cache (the page draws every row) and the median and maximum of the next five (the rows come
from the cache), wall time of Django's test client handling the request in-process.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PROTECTED = {"postgres", "test", "template0", "template1"}
ROLES = ("economic_buyer", "decision_maker", "champion", "executive_sponsor", "technical_evaluator", "procurement",
         "end_user", "influencer", "blocker")
ROLE_WEIGHTS = (10, 10, 12, 6, 12, 8, 25, 12, 5)
CHANNELS = ("meeting", "video", "phone", "email", "event", "other")


def _django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revops.settings.dev")
    import django

    django.setup()


def _row_builder(model, values: dict):
    """(columns, function(values) → row) filling every NOT NULL column the caller leaves out with its default."""
    from django.db import connection

    now = datetime.now(UTC)
    columns, defaults = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.name not in values:
            continue
        columns.append(field.column)
        if field.name in values:
            defaults.append(None)
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults.append(now)
        else:
            default = field.get_default()
            defaults.append(field.get_db_prep_save(default, connection) if default is not None else None)
    names = [f.name for f in model._meta.concrete_fields if not (f.primary_key and f.name not in values)]

    def build(row: dict) -> tuple:
        return tuple(row[n] if n in row else d for n, d in zip(names, defaults))

    return columns, build


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    count = 0
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def load(url: str, args) -> None:
    _django(url)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from accounts.models import Company, Profile, Team, Workspace
    from revops import roles
    from stakeholders.models import Interaction, InteractionParticipant, Stakeholder

    rng = random.Random(args.seed)
    User = get_user_model()
    started = time.perf_counter()
    password = make_password("bench")  # hashed once: 220 PBKDF2 rounds would take minutes
    with transaction.atomic():
        reps: list[int] = []
        rep_group, manager_group = Group.objects.get(name=roles.REP), Group.objects.get(name=roles.MANAGER)
        for t in range(args.teams):
            manager = User.objects.create(username=f"manager{t}", email=f"manager{t}@seller.example",
                                          password=password, first_name="Manager", last_name=str(t))
            manager.groups.add(manager_group)
            team = Team.objects.create(name=f"Team {t:02d}", manager=manager)
            Profile.objects.create(user=manager, team=team, time_zone="America/New_York")
            team_reps = User.objects.bulk_create([
                User(username=f"rep{t}_{r}", email=f"rep{t}_{r}@seller.example", password=password,
                     first_name="Rep", last_name=f"{t}-{r}") for r in range(args.reps)])
            rep_group.user_set.add(*team_reps)
            Profile.objects.bulk_create([Profile(user=rep, team=team, time_zone="Europe/Berlin") for rep in team_reps])
            reps.extend(rep.pk for rep in team_reps)
    print(f"   {len(reps)} reps in {args.teams} teams", flush=True)

    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    company_cols, company_row = _row_builder(Company, {"id": 0, "external_id": "", "name": "", "owner": 0,
                                                       "potential_arr": 0, "tier": "", "employee_count": 0,
                                                       "industry": "", "country": ""})
    ws_cols, ws_row = _row_builder(Workspace, {"external_id": "", "name": "", "company": 0, "mrr": 0, "seats": 0})
    sh_cols, sh_row = _row_builder(Stakeholder, {
        "id": 0, "company": 0, "external_id": "", "name": "", "email": "", "title": "", "role": "", "influence": 0,
        "key_rank": None, "is_active": True, "left_at": None, "reports_to": None, "last_contacted_at": None,
        "last_contacted_by": None})
    ix_cols, ix_row = _row_builder(Interaction, {
        "id": 0, "company": 0, "external_id": "", "logged_by": 0, "channel": "", "occurred_at": now, "summary": "",
        "next_step": "", "next_step_due": None, "next_step_done_at": None})
    pa_cols, pa_row = _row_builder(InteractionParticipant, {"interaction": 0, "stakeholder": 0,
                                                            "stakeholder_name": ""})
    per_company_people = args.stakeholders / args.companies
    per_company_contacts = args.interactions / args.companies
    counts = {"companies": 0, "stakeholders": 0, "interactions": 0, "participants": 0}
    sh_id = ix_id = 0
    chunk = 5000
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for first in range(0, args.companies, chunk):
            companies, workspaces, people, contacts, participants = [], [], [], [], []
            for cid in range(first + 1, min(first + chunk, args.companies) + 1):
                owner = rng.choice(reps) if rng.random() > 0.05 else None
                potential = round(rng.lognormvariate(11.5, 1.2), 2)
                companies.append(company_row({
                    "id": cid, "external_id": f"B{cid:07d}", "name": f"Company {cid:07d}", "owner": owner,
                    "potential_arr": potential, "tier": rng.choice(("enterprise", "mid_market", "smb")),
                    "employee_count": rng.randint(20, 50000), "industry": "Software", "country": "US"}))
                workspaces.append(ws_row({"external_id": f"BW{cid:07d}", "name": f"Workspace {cid}", "company": cid,
                                          "mrr": round(potential * rng.uniform(0.001, 0.08) / 12, 2),
                                          "seats": rng.randint(1, 500)}))
                n_people = rng.randint(0, round(2 * per_company_people))
                ids = []
                for p in range(n_people):
                    sh_id += 1
                    ids.append(sh_id)
                    people.append({
                        "id": sh_id, "company": cid, "external_id": f"BS{sh_id:08d}", "name": f"Person {sh_id}",
                        "email": f"p{sh_id}@c{cid}.example", "title": "Director",
                        "role": rng.choices(ROLES, weights=ROLE_WEIGHTS)[0], "influence": rng.randint(1, 5),
                        "key_rank": p + 1 if p < 5 and rng.random() < 0.8 else None,
                        "is_active": rng.random() > 0.05, "left_at": None,
                        "reports_to": ids[rng.randint(0, p - 1)] if p else None,
                        "last_contacted_at": None, "last_contacted_by": None})
                for person in people[-n_people:] if n_people else []:
                    if not person["is_active"]:
                        person["key_rank"], person["left_at"] = None, today - timedelta(days=rng.randint(1, 400))
                if not ids:
                    continue
                # Busier accounts have more people: contacts grow with the map, averaging the target.
                n_contacts = round(rng.expovariate(per_company_people / (per_company_contacts * n_people)))
                by_id = {p["id"]: p for p in people[-n_people:]}
                for _ in range(n_contacts):
                    ix_id += 1
                    at = now - timedelta(days=rng.uniform(1, 730) ** rng.choice((1, 1, 0.8)), minutes=rng.randint(0, 600))
                    logger = owner if owner and rng.random() < 0.8 else rng.choice(reps)
                    due = done = None
                    step = ""
                    if rng.random() < 0.3:
                        step = "Follow up"
                        due = (at + timedelta(days=rng.randint(3, 20))).date()
                        if due < today and rng.random() < 0.9:
                            done = at + timedelta(days=2)
                    contacts.append(ix_row({
                        "id": ix_id, "company": cid, "external_id": f"BI{ix_id:08d}", "logged_by": logger,
                        "channel": rng.choice(CHANNELS), "occurred_at": at, "summary": "Call", "next_step": step,
                        "next_step_due": due, "next_step_done_at": done}))
                    for pid in set(rng.sample(ids, k=min(len(ids), rng.choice((1, 1, 2, 3))))):
                        participants.append(pa_row({"interaction": ix_id, "stakeholder": pid,
                                                    "stakeholder_name": by_id[pid]["name"]}))
                        person = by_id[pid]
                        if person["last_contacted_at"] is None or at > person["last_contacted_at"]:
                            person["last_contacted_at"], person["last_contacted_by"] = at, logger
            counts["companies"] += _copy(raw, Company._meta.db_table, company_cols, companies)
            _copy(raw, Workspace._meta.db_table, ws_cols, workspaces)
            counts["stakeholders"] += _copy(raw, Stakeholder._meta.db_table, sh_cols, (sh_row(p) for p in people))
            counts["interactions"] += _copy(raw, Interaction._meta.db_table, ix_cols, contacts)
            counts["participants"] += _copy(raw, InteractionParticipant._meta.db_table, pa_cols, participants)
            if (first // chunk) % 4 == 0:
                print(f"   {counts['companies']:>9,} companies, {counts['stakeholders']:>9,} stakeholders, "
                      f"{counts['interactions']:>10,} interactions  ({time.perf_counter() - started:.0f} s)",
                      flush=True)
        for model in (Company, Stakeholder, Interaction):
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        cursor.execute("VACUUM ANALYZE") if connection.get_autocommit() else cursor.execute("ANALYZE")
    print(f"   loaded {counts} in {time.perf_counter() - started:.0f} s", flush=True)


def measure(url: str) -> dict:
    _django(url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["*"]
    manager = get_user_model().objects.get(username="manager0")
    client = Client()
    client.force_login(manager)
    accounts = manager.managed_teams.first()
    from stakeholders.selectors.review import team_companies

    team_size = team_companies(accounts).count()
    results = []
    from django.core.cache import cache

    # the API takes any top_n; the page offers 10, 25, 50 and 100 accounts (`top`)
    targets = [("api", "/api/v1/weekly-review/?top_n={n}&ranking={r}", (5, 25, 100)),
               ("page", "/review/?top={n}&ranking={r}", (10, 25, 100))]
    for label, pattern, sizes in targets:
        for ranking in ("potential", "arr", "gap"):
            for n in sizes:
                path = pattern.format(n=n, r=ranking)
                cache.clear()  # the page's rows are drawn anew: the first view of the week
                started = time.perf_counter()
                client.get(path)
                first_ms = (time.perf_counter() - started) * 1000
                times, queries, sql_ms = [], 0, 0.0
                for _ in range(5):
                    with CaptureQueriesContext(connection) as ctx:
                        started = time.perf_counter()
                        response = client.get(path)
                        times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                    queries = len(ctx.captured_queries)
                    sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
                results.append({"target": label, "ranking": ranking, "top_n": n, "queries": queries,
                                "first_ms": first_ms, "median_ms": statistics.median(times), "max_ms": max(times),
                                "sql_ms": sql_ms})
    from accounts.models import Company
    from stakeholders.models import Interaction, Stakeholder

    return {"team_accounts": team_size, "companies": Company.objects.count(),
            "stakeholders": Stakeholder.objects.count(), "interactions": Interaction.objects.count(),
            "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="revops_bench_review")
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--stakeholders", type=int, default=500_000)
    parser.add_argument("--interactions", type=int, default=2_000_000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="Measure again on the loaded database (no reload).")
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        load(args.load, args)
        return
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    if args.db in PROTECTED:
        sys.exit(f"Refusing to drop {args.db}.")
    url = f"{args.server.rstrip('/')}/{args.db}"
    env = {**os.environ, "DEBUG": "1"}
    for name in ("CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"):
        env.pop(name, None)
    if not args.reuse:
        with psycopg.connect(f"{args.server.rstrip('/')}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.db)))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.db)))
        print(f"Migrating {args.db} …", flush=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT,
                       env={**env, "DATABASE_URL": url}, check=True)
        print(f"Loading {args.companies:,} companies, ~{args.stakeholders:,} stakeholders, "
              f"~{args.interactions:,} interactions with COPY …", flush=True)
        passthrough = [f"--{k}={getattr(args, k)}" for k in ("companies", "stakeholders", "interactions", "teams",
                                                           "reps", "seed")]
        subprocess.run([sys.executable, __file__, "--load", url, *passthrough], cwd=ROOT, env=env, check=True)
    result = subprocess.run([sys.executable, __file__, "--measure", url], cwd=ROOT, env=env, capture_output=True,
                            text=True)
    if result.returncode:
        sys.exit(f"The measurement failed:\n{result.stdout}{result.stderr}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"== weekly review on {figures['companies']:,} companies, {figures['stakeholders']:,} stakeholders, "
          f"{figures['interactions']:,} interactions; the manager's team owns {figures['team_accounts']:,} accounts")
    print(f"   {'what':<6} {'ranking':<10} {'top_n':>5} {'queries':>8} {'first ms':>9} {'median ms':>10} "
          f"{'max ms':>8} {'SQL ms':>8}")
    for row in figures["results"]:
        print(f"   {row['target']:<6} {row['ranking']:<10} {row['top_n']:>5} {row['queries']:>8} "
              f"{row['first_ms']:>9.1f} {row['median_ms']:>10.1f} {row['max_ms']:>8.1f} {row['sql_ms']:>8.1f}")
    print("first: the first request with an empty cache (the page draws every row); median and max: the next five "
          "(the page's rows come from the cache while they do not change).")
    print("Target: ≤ 300 ms for 25 accounts, the same number of queries whatever the number of accounts. "
          "Timings are noisy: the two cores are shared with other work.")


if __name__ == "__main__":
    main()
