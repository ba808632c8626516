#!/usr/bin/env python
"""Benchmark: import a 1,000,000-row product-users CSV through the service `import_data` uses.

    .venv/bin/python bench/import_users.py               # 1M users, ~50k workspaces
    .venv/bin/python bench/import_users.py --rows 100000

Needs PostgreSQL. DATABASE_URL may point at any database except the test database; by default
the script creates and uses `revops_bench` on postgres://postgres@127.0.0.1:5432. The database is
migrated and its workspaces / product users / memberships are emptied before the run.
Generated files go to bench/out/ (reused when the row count and seed match).
Target: the whole 1M-row file in at most 60 s on a 2-core machine.
"""

import argparse
import csv
import os
import random
import secrets
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/revops_bench"

FIRST = (
    "ada alan grace linus ken barbara edsger donald margaret tim john mary anita radia sophie yuki omar leila "
    "carlos priya chen ivan fatima noah emma lucas mia".split()
)
LAST = (
    "lovelace turing hopper torvalds thompson liskov dijkstra knuth hamilton berners-lee backus shaw borg "
    "perlman wilson tanaka haddad rahimi garcia patel wei petrov khan smith jones muller".split()
)
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me", "gmx.de")
TITLES = (
    "Engineer",
    "Senior Engineer",
    "Data Scientist",
    "Product Manager",
    "Designer",
    "VP Engineering",
    "Head of Data",
    "Analyst",
    "CTO",
    "",
)
SUFFIXES = ("com", "io", "co.uk", "de", "fr", "com.au", "co.jp", "net")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="product users to import (default 1,000,000)")
    parser.add_argument("--workspaces", type=int, default=None, help="workspaces (default rows / 20, max 50,000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    return parser.parse_args()


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        sys.exit(f"The benchmark needs PostgreSQL; DATABASE_URL={url!r} is not a postgres:// URL.")
    name = parsed.path.lstrip("/")
    if name == "test" or name.startswith("test_"):
        sys.exit(f"Refusing to benchmark against the test database {name!r}; use e.g. revops_bench.")
    return url


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = urlunparse(parsed._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def generate(args: argparse.Namespace, workspaces: int) -> tuple[Path, Path]:
    args.out.mkdir(parents=True, exist_ok=True)
    ws_path = args.out / f"workspaces-{workspaces}-s{args.seed}.csv"
    users_path = args.out / f"users-{args.rows}-w{workspaces}-s{args.seed}.csv"
    rng = random.Random(args.seed)
    companies = [
        f"{rng.choice(LAST)}{rng.choice(['', '-labs', '-group', 'soft', '-systems', 'ify'])}{i}.{rng.choice(SUFFIXES)}"
        for i in range(max(1, workspaces // 3))
    ]
    start = datetime(2022, 1, 1, tzinfo=timezone.utc)
    if not ws_path.exists():
        started = time.perf_counter()
        with ws_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["external_id", "name", "plan", "seats", "mrr", "status", "created_at"])
            for i in range(workspaces):
                company = companies[i % len(companies)].split(".")[0]
                writer.writerow(
                    [
                        f"W{i:07d}",
                        f"{company.title()} {rng.choice(['Team', 'Data', 'Ops', 'Marketing', 'Eng'])}",
                        rng.choice(["free", "team", "business", "enterprise"]),
                        rng.randint(1, 500),
                        f"{rng.randint(0, 50000) / 4:.2f}",
                        rng.choice(["active", "active", "active", "trial", "churned"]),
                        (start + timedelta(minutes=rng.randint(0, 1_500_000))).isoformat(),
                    ]
                )
        print(f"generated {ws_path.name} in {time.perf_counter() - started:.1f} s")
    if not users_path.exists():
        started = time.perf_counter()
        with users_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "external_id",
                    "email",
                    "name",
                    "company_name",
                    "title",
                    "workspace_external_ids",
                    "workspace_role",
                    "signed_up_at",
                    "last_active_at",
                ]
            )
            for i in range(args.rows):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                home = rng.randrange(workspaces)
                company = companies[home % len(companies)]
                domain = rng.choice(FREE_MAIL) if rng.random() < 0.2 else company
                email = f"{first}.{last}{i}@{domain}"
                if rng.random() < 0.05:
                    email = email.upper()  # normalised on import
                ids = [f"W{home:07d}"] + [f"W{rng.randrange(workspaces):07d}" for _ in range(rng.choice((0, 0, 1, 2)))]
                signed_up = start + timedelta(seconds=rng.randint(0, 90_000_000))
                writer.writerow(
                    [
                        f"U{i:08d}",
                        email,
                        f"{first.title()} {last.title()}",
                        company.split(".")[0].title() if rng.random() < 0.7 else "",
                        rng.choice(TITLES),
                        ";".join(dict.fromkeys(ids)),
                        "admin" if rng.random() < 0.1 else "member",
                        signed_up.strftime("%Y-%m-%d %H:%M:%S"),
                        (signed_up + timedelta(days=rng.randint(0, 300))).isoformat() if rng.random() < 0.9 else "",
                    ]
                )
        print(
            f"generated {users_path.name} ({users_path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
    return ws_path, users_path


def server_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL backend (a local server: /proc), else None."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_import(kind: str, path: Path, label: str) -> float:
    from accounts.services.imports import import_csv

    load_before = os.getloadavg()[0]
    server_before, cpu_before = server_cpu_seconds(), time.process_time()
    started = time.perf_counter()
    report = import_csv(kind=kind, source=path)
    seconds = time.perf_counter() - started
    cpu, server_after = time.process_time() - cpu_before, server_cpu_seconds()
    rate = report.total_rows / seconds if seconds else 0
    print(f"{label:<28} {report.total_rows:>9,} rows  {seconds:7.1f} s  {rate:>9,.0f} rows/s   {report.summary()}")
    # bulk: the part of write spent taking indexes/keys off and putting them back (bulk.py).
    phases = ", ".join(f"{phase} {value:.1f} s" for phase, value in report.timings.items())
    # Other work on a 2-core machine shows in the figures: say how busy it was.
    print(f"{'':<28} phases: {phases}; load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    # CPU seconds do not depend on what else the machine runs: the figure to compare changes by.
    server = f", PostgreSQL backend {server_after - server_before:.1f} s" if server_before is not None else ""
    print(f"{'':<28} CPU: Python {cpu:.1f} s{server}")
    if report.errors:
        print(f"  first rejected rows: {[(i.line, i.message) for i in report.sorted_errors()[:3]]}")
    return seconds


def main() -> None:
    args = parse_args()
    url = database_url()
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "revops.settings.base"
    os.environ.setdefault("DEBUG", "0")  # no query log: the numbers are the production ones
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
    os.environ.pop("CELERY_BROKER_URL", None)
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    workspaces = args.workspaces or min(50_000, max(10, args.rows // 20))
    ws_path, users_path = generate(args, workspaces)
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_workspacemembership, accounts_productuser, accounts_usagerecord, "
            "accounts_workspace RESTART IDENTITY CASCADE"
        )
    print(f"database {connection.settings_dict['NAME']} on PostgreSQL {connection.pg_version / 10000:.0f}")
    timed_import("workspaces", ws_path, "workspaces (setup)")
    first = timed_import("users", users_path, "users, first import")
    second = timed_import("users", users_path, "users, second (idempotent)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM accounts_productuser")
        users = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM accounts_workspacemembership")
        memberships = cursor.fetchone()[0]
    print(f"in the database: {users:,} product users, {memberships:,} memberships")
    verdict = "within" if first <= 60 * args.rows / 1_000_000 else "OVER"
    print(
        f"first import: {first:.1f} s for {args.rows:,} rows ({verdict} the 60 s per million target); "
        f"re-import: {second:.1f} s"
    )


if __name__ == "__main__":
    main()
