"""Rehearse an upgrade on a copy of a database: copy it with `createdb -T`, run `manage.py migrate` on the
copy, and compare the row count of every table before and after.

    .venv/bin/python bench/migrate_copy.py [--server postgres://postgres@127.0.0.1:5432] [--source revops_seed_large]
                                           [--copy revops_migrate_copy] [--seed-if-missing small|large]
                                           [--back-to accounts:0004_resolution_pricing_events ...] [--keep]

--source is the database to rehearse on (the large demo: `bench/seed_large.py --keep`, or a restored
production dump); it is only read, by `createdb -T`, which needs nobody else connected to it. With
--seed-if-missing a missing source is created, migrated and seeded (`seed_demo --size ...`).
--back-to first migrates the copy back to an older state (what an older release left behind); the
"before" counts are taken after that, so data that only the newer migrations hold is not counted.
Prints the pending migrations, the time `migrate` took, the tables whose counts changed, and exits 1 if
any table lost rows or disappeared. The copy (--copy) is dropped and created again; it must be a
scratch database, and it is dropped at the end unless --keep.
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
PROTECTED = {"postgres", "test", "template0", "template1"}


def manage(*args: str, database_url: str, extra_env: dict | None = None) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "revops.settings.dev", **(extra_env or {})}
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def row_counts(url: str) -> dict[str, int]:
    """Exact row counts of every table in the public schema."""
    with psycopg.connect(url) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").fetchall()]
        return {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0] for t in tables}


def database_exists(server: str, name: str) -> bool:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--source", default="revops_seed_large")
    parser.add_argument("--copy", default="revops_migrate_copy")
    parser.add_argument("--seed-if-missing", choices=("small", "large"), default=None)
    parser.add_argument("--back-to", action="append", default=[], metavar="APP:MIGRATION",
                        help="Migrate the copy back to this state first (repeatable).")
    parser.add_argument("--keep", action="store_true", help="Keep the migrated copy afterwards.")
    args = parser.parse_args()
    if args.copy in PROTECTED or args.copy == args.source:
        sys.exit(f"Refusing to drop {args.copy!r}: give a scratch database name for --copy.")
    source_url, copy_url = f"{args.server}/{args.source}", f"{args.server}/{args.copy}"

    if not database_exists(args.server, args.source):
        if not args.seed_if_missing:
            sys.exit(f"No database {args.source!r}: seed one (bench/seed_large.py --keep) or pass --seed-if-missing.")
        started = time.perf_counter()
        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.source)))
        manage("migrate", "--noinput", database_url=source_url)
        manage("seed_demo", "--size", args.seed_if_missing, database_url=source_url, extra_env={"DEBUG": "1"})
        print(f"seeded {args.source} ({args.seed_if_missing}) in {time.perf_counter() - started:.1f} s")

    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(args.copy)))
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(%s))", (args.source,)).fetchone()[0]
    started = time.perf_counter()
    # createdb -T copies the files of the source; it refuses while anyone is connected to the source.
    copied = subprocess.run(["createdb", "--maintenance-db", f"{args.server}/postgres", "-T", args.source, args.copy],
                            capture_output=True, text=True)
    if copied.returncode:
        sys.exit(f"createdb -T {args.source} {args.copy} failed:\n{copied.stderr}")
    print(f"copied {args.source} ({size}) to {args.copy} in {time.perf_counter() - started:.1f} s")

    try:
        for target in args.back_to:
            app, _, name = target.partition(":")
            manage("migrate", app, name, "--noinput", database_url=copy_url)
            print(f"migrated the copy back to {app} {name}")

        pending = [line.strip()[3:].strip() for line in manage("showmigrations", "--plan", database_url=copy_url).splitlines()
                   if line.strip().startswith("[ ]")]
        print(f"{len(pending)} pending migration(s): {', '.join(pending) or '-'}")
        before = row_counts(copy_url)

        started = time.perf_counter()
        manage("migrate", "--noinput", database_url=copy_url)
        seconds = time.perf_counter() - started
        after = row_counts(copy_url)
    finally:
        if not args.keep:
            with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.copy)))

    lost = {t: (n, after.get(t)) for t, n in before.items() if after.get(t) is None or after[t] < n}
    changed = {t: (before.get(t), n) for t, n in after.items() if before.get(t) != n}
    print(f"migrate took {seconds:.1f} s; {len(before)} tables, {sum(before.values()):,} rows before, "
          f"{sum(after.values()):,} after")
    print(f"{'table':<48} {'before':>12} {'after':>12}")
    for table, (old, new) in sorted({**changed, **lost}.items()):
        old_text = f"{old:,}" if old is not None else "(new)"
        new_text = f"{new:,}" if new is not None else "(gone)"
        print(f"{table:<48} {old_text:>12} {new_text:>12}{'   LOST ROWS' if table in lost else ''}")
    if not changed and not lost:
        print("(every table has the same row count)")
    if lost:
        sys.exit(f"{len(lost)} table(s) lost rows: {', '.join(sorted(lost))}")
    print("no table lost rows")


if __name__ == "__main__":
    main()
