"""Time ``seed_demo --size large`` on a scratch PostgreSQL database: a first run, then a re-run.

    .venv/bin/python bench/seed_large.py [--server postgres://postgres@127.0.0.1:5432] [--db revops_seed_large] [--keep]

The database named by --db is dropped and created again; it must be a scratch database.
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("accounts_company", "accounts_companydomain", "accounts_workspace", "accounts_productuser",
          "accounts_workspacemembership", "accounts_usagerecord")
PROTECTED = {"postgres", "test", "template0", "template1"}


def manage(*args: str, env: dict) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="revops_seed_large")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()
    if args.db in PROTECTED:
        sys.exit(f"Refusing to drop {args.db!r}: give a scratch database name.")

    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(args.db)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.db)))
    url = f"{args.server}/{args.db}"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage("migrate", "--noinput", "-v0", env=env)

    for label in ("first run", "re-run (same seed)"):
        started = time.monotonic()
        output = manage("seed_demo", "--size", "large", "--seed", args.seed, env=env)
        print(f"== {label}: {time.monotonic() - started:.1f} s")
        stages = output.split("Demo data ready:")[0].splitlines()[1:]
        print("\n".join(line for line in stages if line.strip()))

    with psycopg.connect(url) as conn:
        for table in TABLES:
            count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
            print(f"  {table:<30} {count:>11,}")
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
        print(f"  database size: {size}")
    if not args.keep:
        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(args.db)))


if __name__ == "__main__":
    main()
