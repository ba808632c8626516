"""Consumption forecast and three-horizon roll-up at scale on PostgreSQL.

    .venv/bin/python bench/forecast.py [--server postgres://postgres@127.0.0.1:5432] [--db revops_bench_forecast]
                                       [--companies 100000] [--months 36] [--seed 7] [--keep]

Synthetic data, loaded with COPY into a scratch database (dropped and created again): 100,000
companies (8 % subsidiaries of another company) owned by 60 reps in 6 teams; 36 complete months of
usage per company plus the current month so far, booked on the company, in varied shapes — steady,
growing, shrinking, damped growth, seasonal (24+ months), intermittent (≈ half the months zero),
short (started in the last three months) and churned (stopped); ≈ 90,000 contracts (subscription,
commit, hybrid, pay-as-you-go) and ≈ 60,000 opportunities in every stage.

Figures (each measured in a child process, so its peak memory is its own):
  1. the consumption forecast: ``consumption_forecast_run`` — load the history, forecast, write
     3.6 million ConsumptionForecast rows (target ≤ 60 s);
  2. the full three-horizon roll-up after it: ``forecast_rollup`` (target ≤ 10 s).
The machine's two cores are shared with other work, so timings are noisy: run it twice.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PROTECTED = {"postgres", "test", "template0", "template1"}
NULL = "\\N"  # COPY text format's NULL


def month_add(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def copy_text(conn, table: str, columns: list[str], lines) -> int:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    n = 0
    with conn.cursor() as cur, cur.copy(statement) as cp:
        batch = []
        for line in lines:
            batch.append(line)
            n += 1
            if len(batch) >= 50_000:
                cp.write("".join(batch))
                batch = []
        if batch:
            cp.write("".join(batch))
    return n


def usage_shapes(rng: np.random.Generator, n: int, months: int) -> tuple[np.ndarray, np.ndarray]:
    """(n × months amounts with NaN = no record, shape label per company)."""
    t = np.arange(months)[None, :]
    shapes = rng.choice(
        ["steady", "growing", "shrinking", "damped", "seasonal", "intermittent", "short", "churned"],
        size=n, p=[0.2, 0.2, 0.08, 0.14, 0.14, 0.1, 0.06, 0.08],
    )
    base = np.exp(rng.normal(7, 1.2, n))[:, None]  # median ≈ $1,100 a month, long tail
    growth = rng.uniform(0.01, 0.06, n)[:, None]
    level = np.ones((n, months))
    level = np.where((shapes == "growing")[:, None], (1 + growth) ** (t - months), level)
    level = np.where((shapes == "shrinking")[:, None], (1 - growth / 2) ** (t - months), level)
    damped = 1 + 2 * (1 - np.exp(-(t + 1) / rng.uniform(4, 12, n)[:, None]))
    level = np.where((shapes == "damped")[:, None], damped, level)
    phase = rng.integers(0, 12, n)[:, None]
    level = np.where((shapes == "seasonal")[:, None], 1 + 0.35 * np.sin(2 * np.pi * (t + phase) / 12), level)
    values = base * level * np.clip(rng.normal(1, 0.08, (n, months)), 0.5, None)
    gaps = (shapes == "intermittent")[:, None] & (rng.random((n, months)) < 0.5)
    values[gaps] = 0.0
    start = rng.integers(0, 12, n)  # most customers were there before the window
    start = np.where(rng.random(n) < 0.5, 0, start)
    start = np.where(shapes == "short", months - rng.integers(1, 4, n), start)
    values[t < start[:, None]] = np.nan
    stop = months - rng.integers(3, 10, n)
    churned = (shapes == "churned")[:, None] & (t >= stop[:, None])
    values[churned] = 0.0
    return np.round(values, 2), shapes


def load(conn, args) -> dict:
    rng = np.random.default_rng(args.seed)
    now = datetime.now(UTC)
    today = date.today()
    current = today.replace(day=1)
    first = month_add(current, -args.months)
    n = args.companies
    counts = {}

    def stage(name, fn):
        started = time.monotonic()
        counts[name] = fn()
        print(f"  loaded {name:<14} {counts[name]:>11,} rows in {time.monotonic() - started:5.1f} s", flush=True)

    with conn.cursor() as cur:
        cur.execute("INSERT INTO accounts_team (name) SELECT 'Team ' || g FROM generate_series(1, 6) g")
        cur.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined) SELECT '!', false, 'rep' || g, 'Rep', g::text, 'rep' || g || '@example.com', "
            "false, true, now() FROM generate_series(1, 60) g"
        )
        cur.execute(
            "INSERT INTO accounts_profile (user_id, team_id, time_zone) SELECT u.id, "
            "(SELECT min(id) FROM accounts_team) + (u.id % 6), 'UTC' FROM auth_user u"
        )
        reps = [r[0] for r in cur.execute("SELECT id FROM auth_user ORDER BY id").fetchall()]
    owners = np.array(reps)[rng.integers(0, len(reps), n)]
    parents = np.where(rng.random(n) < 0.08, rng.integers(1, n + 1, n), 0)
    ids = np.arange(1, n + 1)
    parents = np.where((parents > 0) & (parents < ids), parents, 0)  # a parent is an earlier company: no cycles
    stamp = now.isoformat()
    stage("companies", lambda: copy_text(conn, "accounts_company",
                                         ["id", "external_id", "name", "industry", "tier", "country", "owner_id",
                                          "parent_id", "created_at", "updated_at"],
                                         (f"{i}\tC{i}\tCompany {i}\t\t\t\t{o}\t{p or NULL}\t{stamp}\t{stamp}\n"
                                          for i, o, p in zip(ids, owners, parents))))

    values, shapes = usage_shapes(rng, n, args.months + 1)  # the last month is the current one
    values[:, -1] *= min(1.0, today.day / 30)  # the current month so far
    periods = [month_add(first, k).isoformat() for k in range(args.months + 1)]

    def usage_lines():
        for row in range(n):
            company = row + 1
            for k, value in enumerate(values[row]):
                if value == value:  # not NaN
                    yield f"{company}\t{periods[k]}\tcompute_credits\t{value:.0f}\t{value:.2f}\n"

    stage("usage", lambda: copy_text(conn, "accounts_usagerecord",
                                     ["company_id", "period", "metric", "quantity", "amount"], usage_lines()))

    kinds = np.array(["subscription", "commit", "hybrid", "consumption"])

    def contract_lines():
        count = 0
        for row in range(n):
            if rng.random() > 0.9:
                continue
            count += 1
            kind = kinds[rng.integers(0, 4)]
            start = first + timedelta(days=int(rng.integers(0, 365 * 3)))
            end = start + timedelta(days=int(rng.choice([364, 729, 1094])))
            monthly = float(np.nanmean(values[row])) if not np.isnan(values[row]).all() else 500.0
            amount = 0.0 if kind == "consumption" else round(monthly * 12 * rng.uniform(0.5, 1.2), 2)
            included = f"{amount * 0.5:.4f}" if kind == "hybrid" else "\\N"
            overage = "1.0000" if kind in ("hybrid", "commit") else "\\N"
            status = "active" if end >= date.today() else "expired"
            yield (f"{row + 1}\tK{count}\tContract {count}\t{kind}\t{status}\t{start}\t{end}\t{amount:.2f}\tprepaid\t"
                   f"{included}\t{overage}\t0\t{owners[row]}\t{start}\t{stamp}\t{stamp}\n")

    stage("contracts", lambda: copy_text(conn, "forecasting_contract",
                                         ["company_id", "external_id", "name", "kind", "status", "start_date",
                                          "end_date", "committed_amount", "billing", "included_units", "overage_price",
                                          "rollover_fraction", "owner_id", "booked_on", "created_at", "updated_at"],
                                         contract_lines()))
    stages = [("qualify", "0.10", "pipeline"), ("discovery", "0.20", "pipeline"), ("solution", "0.40", "pipeline"),
              ("proposal", "0.60", "best_case"), ("negotiation", "0.80", "commit"), ("closed_won", "1.00", "closed_won"),
              ("closed_lost", "0.00", "closed_lost")]

    def opportunity_lines():
        for k in range(int(n * 0.6)):
            company = int(rng.integers(1, n + 1))
            stage_, probability, category = stages[int(rng.integers(0, len(stages)))]
            close = today + timedelta(days=int(rng.integers(-60, 540)))
            amount = round(float(np.exp(rng.normal(9.5, 1))), 2)
            yield (f"{company}\tO{k}\tDeal {k}\texpansion\t\t\t{amount:.2f}\t{close}\t{stage_}\t{probability}\t"
                   f"{category}\tfalse\t{owners[company - 1]}\t{stamp}\t{stamp}\n")

    stage("opportunities", lambda: copy_text(conn, "forecasting_opportunity",
                                             ["company_id", "external_id", "name", "type", "use_case",
                                              "use_case_category", "amount", "close_date", "stage", "probability",
                                              "forecast_category", "category_overridden", "owner_id", "created_at",
                                              "updated_at"], opportunity_lines()))
    with conn.cursor() as cur:
        cur.execute("SELECT setval(pg_get_serial_sequence('accounts_company', 'id'), (SELECT max(id) FROM accounts_company))")
        for table in ("accounts_company", "accounts_usagerecord", "forecasting_contract", "forecasting_opportunity"):
            cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    conn.commit()
    unique, tally = np.unique(shapes, return_counts=True)
    print("  shapes: " + ", ".join(f"{s} {c:,}" for s, c in zip(unique, tally)))
    return counts


def measure(url: str) -> None:
    """Child process: time the forecast run, then the roll-up; print JSON."""
    import resource

    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revops.settings.dev")
    import django

    django.setup()
    from forecasting.services.forecast_runs import consumption_forecast_run
    from forecasting.services.rollup import forecast_rollup

    started = time.monotonic()
    run = consumption_forecast_run()
    forecast_seconds = time.monotonic() - started
    peak_forecast = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.monotonic()
    rollup = forecast_rollup()
    rollup_seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    totals = {key: {"committed": float(h.total.committed), "consumption": float(h.total.consumption),
                    "low": float(h.total.consumption_low), "high": float(h.total.consumption_high),
                    "pipeline": float(h.total.pipeline_weighted), "reps": len(h.by_rep), "teams": len(h.by_team)}
              for key, h in rollup.horizons.items()}
    print(json.dumps({"status": run.status, "companies": run.companies, "run_seconds": run.seconds,
                      "forecast_seconds": forecast_seconds, "rollup_seconds": rollup_seconds,
                      "peak_forecast_mib": peak_forecast, "peak_mib": peak, "methods": run.message, "totals": totals}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="revops_bench_forecast")
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--reuse", action="store_true", help="Measure again on the loaded database (no reload).")
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    if args.db in PROTECTED:
        sys.exit(f"Refusing to drop {args.db}.")
    url = f"{args.server.rstrip('/')}/{args.db}"
    if not args.reuse:
        with psycopg.connect(f"{args.server.rstrip('/')}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.db)))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.db)))
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
        env.pop("CELERY_BROKER_URL", None)
        print(f"Migrating {args.db} …", flush=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        print(f"Loading {args.companies:,} companies × {args.months} months …", flush=True)
        with psycopg.connect(url) as conn:
            load(conn, args)
    env = {**os.environ, "DEBUG": "1"}
    env.pop("CELERY_BROKER_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run([sys.executable, __file__, "--measure", url], cwd=ROOT, env=env, capture_output=True,
                            text=True)
    if result.returncode:
        sys.exit(f"The measurement failed:\n{result.stdout}{result.stderr}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"== consumption forecast: {figures['forecast_seconds']:.1f} s for {figures['companies']:,} companies "
          f"(run's own time {figures['run_seconds']:.1f} s; target ≤ 60 s), peak memory {figures['peak_forecast_mib']:,.0f} MiB")
    print(f"   methods: {figures['methods']}")
    print(f"== three-horizon roll-up: {figures['rollup_seconds']:.1f} s (target ≤ 10 s), "
          f"peak memory of the process {figures['peak_mib']:,.0f} MiB")
    for key, total in figures["totals"].items():
        print(f"   {key:>7}: committed {total['committed']:>16,.0f}  consumption {total['consumption']:>16,.0f} "
              f"[{total['low']:,.0f} – {total['high']:,.0f}]  weighted pipeline {total['pipeline']:>14,.0f}  "
              f"({total['reps']} reps, {total['teams']} teams)")
    print("Timings are noisy: the two cores are shared with other work.")


if __name__ == "__main__":
    main()
