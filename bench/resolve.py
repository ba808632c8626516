"""Account resolution at scale on PostgreSQL: a full run, a second (nothing changed) run, and
incremental runs after 10,000 new users — one by the one-off command, two served by a Celery worker.

    .venv/bin/python bench/resolve.py [--server postgres://postgres@127.0.0.1:5432] [--db revops_bench_resolve]
                                      [--companies 100000] [--domains 150000] [--workspaces 200000]
                                      [--users 1000000] [--new-users 10000] [--seed 7] [--jobs 2] [--keep]
                                      [--broker redis://127.0.0.1:6379/0] [--no-worker]

Synthetic data, loaded with COPY: companies with pseudo-word names (bench/match_speed.py), one or two
domains each; workspaces owned by companies (big companies own more: Zipf), named after their company
("Acme Marketing", "acme-data"), or not ("Sandbox", "Project Falcon"); users in one workspace (15 % in a
second), 80 % on their company's domain (some on subdomains, some on a domain no company owns) and 20 %
on free-mail with a typed company name (the labelled set's variants: typos, legal forms, office tails,
workspace-style names, abbreviations; 5 % junk). The first member of a workspace is its admin.

The full runs and the first incremental run are ``manage.py resolve_accounts`` in a child process; the
figures are the run's own time (as recorded on the ResolutionRun, with wall / CPU seconds per phase),
the child's wall time and its peak memory (getrusage ru_maxrss), and the CPU seconds of the command
(with its forked workers) and of the PostgreSQL backends that served it (the database's share of the
work). Unlike wall time, CPU seconds hardly depend on how many other processes compete for the cores.
The first full run starts cold (``--cold``: no name index or name rankings kept from an earlier
benchmark); the second full run and the incremental runs use what the runs before them kept, as they
would in production.

A one-off command pays for starting Python and Django (~2 s) and for reading the context and loading
the name index (~1.5 s) on every run. In production the incremental runs — after every import, after
product events — are served by a long-lived Celery worker, which keeps the context and the name index
between runs and reuses them while the company names, domains, rules and thresholds are unchanged
(``accounts.services.resolution.context``). So the benchmark also starts a real worker
(``celery -A revops worker --concurrency=1`` on a queue of its own, on ``--broker``), queues
incremental runs the way an import does (``resolution_run_start``) and times them: the worker's first
run after 10,000 more new users (a cold worker: it reads the context and loads the name index), then
its run after another 10,000 new users (a warm worker). Their figures are the run's own time, the
time from the worker claiming the run to its end, the CPU seconds of the worker's processes and of
PostgreSQL's backends, and the pool process's peak memory. ``--no-worker`` skips them.

The database named by --db is dropped and created again; it must be a scratch database.

Between the first full run and the second, the benchmark does what autovacuum does on a production
server after a run rewrote most of a table — VACUUM (ANALYZE) of the users and workspaces — when the
server runs without autovacuum (as a development or CI server may): otherwise every later run would
read past a million dead row versions and their index entries, which no production server keeps.
Its time is printed apart and is not part of any run's.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from match_speed import _COUNTRIES, build_crm  # noqa: E402

from tests.accounts.matching_set import JUNK, VARIANT_WEIGHTS, variant  # noqa: E402

PROTECTED = {"postgres", "test", "template0", "template1"}
FREE = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "gmx.de", "proton.me", "web.de")
TLDS = {"UK": "co.uk", "DE": "de", "FR": "fr", "NL": "nl", "CH": "ch", "ES": "es", "IT": "it", "SE": "se",
        "DK": "dk", "JP": "co.jp", "IN": "co.in", "BR": "com.br", "AU": "com.au", "CA": "ca", "SG": "com.sg"}
TEAMS = ("Marketing", "Sales", "Data", "Engineering", "IT", "Design", "Product", "Analytics", "Ops", "Growth")
OTHER_NAMES = ("Sandbox", "My workspace", "Project Falcon", "Team Rocket", "Q3 launch", "Test", "Default",
               "Skunkworks", "Hackathon", "Playground")


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())[:40] or "x"


def copy(conn, table: str, columns: list[str], rows) -> int:
    n = 0
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cur, cur.copy(statement) as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


class Data:
    """The synthetic data set, generated deterministically from the seed."""

    def __init__(self, args) -> None:
        rng = self.rng = random.Random(args.seed)
        self.crm = build_crm(args.companies, rng)
        self.domains: list[tuple[int, str, int]] = []  # id, domain, company id
        self.primary: dict[int, str] = {}
        taken: set[str] = set()
        extra = args.domains - len(self.crm)
        for company in self.crm:
            base = slug(re.sub(r"\b(inc|llc|corp|ltd|plc|gmbh|ag|sa|sas|bv|nv|ab|kk|pvt|pty|pte|ltda)\b\.?", "",
                               company.name.lower()))
            domain = f"{base}.com"
            k = 1
            while domain in taken:
                k += 1
                domain = f"{base}{k}.com"
            taken.add(domain)
            self.primary[company.id] = domain
            self.domains.append((len(self.domains) + 1, domain, company.id))
        for company in rng.sample(self.crm, min(extra, len(self.crm))):
            tld = TLDS.get(company.country, "net")
            domain = self.primary[company.id].rsplit(".", 1)[0] + "." + tld
            if domain not in taken:
                taken.add(domain)
                self.domains.append((len(self.domains) + 1, domain, company.id))
        # Zipf: big companies own more workspaces
        weights = [1 / (rank + 1) ** 0.8 for rank in range(len(self.crm))]
        owners = rng.choices(range(len(self.crm)), weights=weights, k=args.workspaces)
        self.workspaces: list[tuple[int, str, int]] = []  # id, name, owning company index
        for w, owner in enumerate(owners, start=1):
            company = self.crm[owner]
            base = re.sub(r",?\s+(Inc\.|LLC|Corp\.|Ltd|plc|GmbH|AG|SA|SAS|B\.V\.|N\.V\.|AB|K\.K\.|Co\., Ltd\.|Pvt Ltd|"
                          r"Pty Ltd|Pte Ltd|Ltda\.|S\.L\.|S\.A\.|S\.p\.A\.|S\.r\.l\.|A/S)$", "", company.name)
            roll = rng.random()
            if roll < 0.4:
                name = f"{base} {rng.choice(TEAMS)}"
            elif roll < 0.6:
                name = f"{slug(base)}-{rng.choice(TEAMS).lower()}"
            elif roll < 0.7:
                name = base
            else:
                name = rng.choice(OTHER_NAMES)
            self.workspaces.append((w, name, owner))

    def users(self, first_id: int, count: int, rng: random.Random):
        """(user row, memberships) for ``count`` users with ids from ``first_id``."""
        kinds = list(VARIANT_WEIGHTS)
        kind_weights = [VARIANT_WEIGHTS[k] for k in kinds]
        workspaces = self.workspaces
        for n in range(first_id, first_id + count):
            w_id, _, owner = workspaces[rng.randrange(len(workspaces))]
            company = self.crm[owner]
            typed = ""
            roll = rng.random()
            if roll < 0.20:
                email = f"u{n}@{rng.choice(FREE)}"
                if rng.random() < 0.05:
                    typed = rng.choice(JUNK)
                else:
                    typed = variant(company, rng.choices(kinds, weights=kind_weights)[0], rng) or company.name
            elif roll < 0.24:
                email = f"u{n}@consult{n % 5000}.io"  # a domain no company owns
            elif roll < 0.30:
                email = f"u{n}@eu.{self.primary[company.id]}"
            else:
                email = f"u{n}@{self.primary[company.id]}"
            memberships = [w_id]
            if rng.random() < 0.15:
                memberships.append(rng.randrange(1, len(workspaces) + 1))
            yield (n, email, typed), memberships


def load(conn, data: Data, args) -> None:
    now = datetime.now(UTC)
    rng = random.Random(args.seed + 1)
    timings = {}

    def stage(name, fn):
        started = time.monotonic()
        count = fn()
        timings[name] = (count, time.monotonic() - started)
        print(f"  loaded {name:<12} {count:>10,} rows in {timings[name][1]:5.1f} s", flush=True)

    stage("companies", lambda: copy(conn, "accounts_company",
                                    ["id", "external_id", "name", "industry", "tier", "country", "created_at",
                                     "updated_at"],
                                    ((c.id, f"C{c.id}", c.name, "", "", c.country, now, now) for c in data.crm)))
    stage("domains", lambda: copy(conn, "accounts_companydomain", ["id", "domain", "company_id", "created_at"],
                                  ((i, d, c, now) for i, d, c in data.domains)))
    stage("workspaces", lambda: copy(conn, "accounts_workspace",
                                     ["id", "external_id", "name", "plan", "seats", "mrr", "status", "imported_at",
                                      "updated_at", "match_method", "match_status", "match_reason"],
                                     ((w, f"W{w}", name, "team", 10, 250, "active", now, now, "", "", "")
                                      for w, name, _ in data.workspaces)))
    members: list[tuple[int, int, str]] = []
    admins: set[int] = set()

    def user_rows():
        for (n, email, typed), memberships in data.users(1, args.users, rng):
            for w in memberships:
                role = "member"
                if w not in admins:
                    admins.add(w)
                    role = "admin"
                members.append((n, w, role))
            yield (n, f"U{n}", email, "", typed, "", now, now, "", "", "")

    stage("users", lambda: copy(conn, "accounts_productuser",
                                ["id", "external_id", "email", "name", "company_name", "title", "imported_at",
                                 "updated_at", "match_method", "match_status", "match_reason"], user_rows()))
    members_sorted = sorted(set((u, w) for u, w, _ in members))
    roles = {(u, w): r for u, w, r in members}
    stage("memberships", lambda: copy(conn, "accounts_workspacemembership", ["user_id", "workspace_id", "role"],
                                      ((u, w, roles[(u, w)]) for u, w in members_sorted)))
    with conn.cursor() as cur:
        for table in ("accounts_company", "accounts_companydomain", "accounts_workspace", "accounts_productuser",
                      "accounts_workspacemembership"):
            cur.execute(sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), (SELECT max(id) FROM {}))").format(
                sql.Literal(table), sql.Identifier(table)))
            cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    conn.commit()


def add_new_users(conn, data: Data, args, salt: int = 0) -> None:
    """``args.new_users`` new users with their memberships, as an import adds them (each ``salt`` a
    different batch: other people, other typed names)."""
    now = datetime.now(UTC)
    rng = random.Random(args.seed + 2 + 1000 * salt)
    with conn.cursor() as cur:
        first = cur.execute("SELECT max(id) + 1 FROM accounts_productuser").fetchone()[0]
    rows, members = [], []
    for (n, email, typed), memberships in data.users(first, args.new_users, rng):
        rows.append((n, f"N{salt}-{n}", email, "", typed, "", now, now, "", "", ""))
        members.extend((n, w, "member") for w in set(memberships))
    copy(conn, "accounts_productuser", ["id", "external_id", "email", "name", "company_name", "title", "imported_at",
                                        "updated_at", "match_method", "match_status", "match_reason"], rows)
    copy(conn, "accounts_workspacemembership", ["user_id", "workspace_id", "role"], members)
    with conn.cursor() as cur:
        cur.execute("SELECT setval(pg_get_serial_sequence('accounts_productuser', 'id'), "
                    "(SELECT max(id) FROM accounts_productuser))")
        cur.execute("SELECT setval(pg_get_serial_sequence('accounts_workspacemembership', 'id'), "
                    "(SELECT max(id) FROM accounts_workspacemembership))")
    conn.commit()


# the runs' name cache, apart from the one tests and other work of this OS user fill (and evict)
CACHE_DIR = Path(tempfile.gettempdir()) / f"revops-bench-resolve-{os.getuid()}"


class BackendCpu:
    """CPU seconds of the PostgreSQL backends serving one database while a run lasts: its
    connections are polled (pg_stat_activity) and their /proc/<pid>/stat read, the last reading of
    each kept. A backend's last fraction of a poll interval before it exits is missed; same-machine
    servers only (0.0 when /proc cannot be read)."""

    INTERVAL = 0.2

    def __init__(self, url: str, db: str) -> None:
        self.url, self.db = url, db
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())

    def _poll(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        with psycopg.connect(self.url, autocommit=True) as conn:
            while True:
                pids = [row[0] for row in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.db])]
                for pid in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
                if self._stop.wait(self.INTERVAL):
                    return


def autovacuum_stand_in(url: str, tables: tuple[str, ...]) -> None:
    """VACUUM (ANALYZE) what a run rewrote, when the server runs without autovacuum (see the module
    docstring); nothing when autovacuum is on (it does that itself)."""
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SHOW autovacuum").fetchone()[0] == "on":
            return
        started = time.monotonic()
        for table in tables:
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
    print(f"   (autovacuum is off on this server: VACUUM (ANALYZE) of {', '.join(tables)} in its stead, "
          f"{time.monotonic() - started:.1f} s, not part of any run)")


def resolve(url: str, label: str, *args: str) -> dict:
    CACHE_DIR.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1", "RESOLUTION_CACHE_DIR": str(CACHE_DIR)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("CELERY_BROKER_URL", None)
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # --skip-checks: the project's system checks are not part of resolution
    with BackendCpu(url, url.rsplit("/", 1)[1]) as backends:
        result = subprocess.run([sys.executable, "manage.py", "resolve_accounts", "--skip-checks", *args], cwd=ROOT,
                                env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = after.ru_maxrss / 1024
    # CPU of the command and the processes it forked (not of PostgreSQL): unlike wall time, it hardly
    # depends on how many other processes compete for the cores
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if result.returncode:
        sys.exit(f"resolve_accounts {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    with psycopg.connect(url) as conn:
        counts = conn.execute("SELECT counts FROM accounts_resolutionrun ORDER BY id DESC LIMIT 1").fetchone()[0]
    counts["cpu"] = round(cpu, 1)
    counts["db_cpu"] = round(backends.seconds, 1)
    print(f"== {label}: run {counts['seconds']:.1f} s (process wall {wall:.1f} s, CPU {cpu:.1f} s in the "
          f"command and its workers + {backends.seconds:.1f} s in PostgreSQL, load average "
          f"{os.getloadavg()[0]:.1f}), peak memory of resolve processes so far {peak:,.0f} MiB")
    print("   " + result.stdout.strip().replace("\n", "\n   "))
    return counts


def _process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children so far (/proc; 0.0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for each in [pid, *map(int, children)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _process_tree_peak_mib(pid: int) -> float:
    """The largest peak resident memory (VmHWM) of a process and its children, MiB (/proc)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    peak = 0.0
    for each in [pid, *map(int, children)]:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return peak


class WorkerUnavailable(Exception):
    pass


class Worker:
    """A real Celery worker (``celery -A revops worker``, one pool process) on its own queue, serving
    incremental runs queued by ``resolution_run_start`` — the path imports and product events take."""

    def __init__(self, url: str, broker: str) -> None:
        self.url, self.broker = url, broker
        self.queue = f"bench-resolve-{os.getpid()}"
        self.env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1", "RESOLUTION_CACHE_DIR": str(CACHE_DIR),
                    "CELERY_BROKER_URL": broker, "CELERY_TASK_ALWAYS_EAGER": "0"}
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-resolve-worker-", suffix=".log", delete=False)

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "revops", "worker", "--concurrency=1", "-Q", self.queue,
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--hostname", f"{self.queue}@%h"],
            cwd=ROOT, env={**self.env, "DJANGO_SETTINGS_MODULE": "revops.settings.base"}, stdout=self.log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while "ready." not in Path(self.log.name).read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                log = Path(self.log.name).read_text()
                Path(self.log.name).unlink(missing_ok=True)
                raise WorkerUnavailable(f"the Celery worker did not start (broker {self.broker}):\n{log[-3000:]}")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        Path(self.log.name).unlink(missing_ok=True)

    def incremental(self, label: str) -> dict:
        """Queue an incremental run as an import does and wait for it; the figures are the worker's."""
        code = ("from django.db import transaction\n"
                "from accounts.models import ResolutionRun\n"
                "from accounts.services.resolution import resolution_run_start\n"
                "with transaction.atomic():\n"
                f"    run = resolution_run_start(mode=ResolutionRun.Mode.INCREMENTAL, trigger=ResolutionRun.Trigger.IMPORT, "
                f"queue={self.queue!r})\n"
                "print(run.pk)\n")
        cpu_before = _process_tree_cpu(self.process.pid)
        with BackendCpu(self.url, self.url.rsplit("/", 1)[1]) as backends:
            queued = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=self.env,
                                    capture_output=True, text=True)
            if queued.returncode:
                sys.exit(f"could not queue the run:\n{queued.stdout}{queued.stderr}")
            run_id = int(queued.stdout.split()[-1])
            deadline = time.monotonic() + 600
            with psycopg.connect(self.url, autocommit=True) as conn:
                while True:
                    status, counts, started, finished = conn.execute(
                        "SELECT status, counts, started_at, finished_at FROM accounts_resolutionrun WHERE id = %s",
                        [run_id]).fetchone()
                    if status in ("done", "failed") or time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
        if status != "done":
            sys.exit(f"the worker's run ended {status}:\n" + Path(self.log.name).read_text()[-5000:])
        cpu = _process_tree_cpu(self.process.pid) - cpu_before
        counts["cpu"], counts["db_cpu"] = round(cpu, 1), round(backends.seconds, 1)
        counts["wall"] = round((finished - started).total_seconds(), 2)
        counts["peak_mib"] = round(_process_tree_peak_mib(self.process.pid))
        phases = ", ".join(f"{phase} {wall:.1f} / {c:.1f}" for phase, (wall, c) in counts.get("phases", {}).items())
        print(f"== {label}: run {counts['seconds']:.1f} s (claimed → done {counts['wall']:.1f} s; CPU {cpu:.1f} s in "
              f"the worker + {backends.seconds:.1f} s in PostgreSQL, load average {os.getloadavg()[0]:.1f}), peak memory "
              f"of the worker's pool process {counts['peak_mib']:,} MiB")
        print(f"   Scope: {counts.get('scope', '')}; users changed {counts['users'].get('changed', 0):,}, "
              f"workspaces changed {counts['workspaces'].get('changed', 0):,}")
        print(f"   Phases (wall / CPU of the worker, seconds): {phases}")
        return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="revops_bench_resolve")
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--domains", type=int, default=150_000)
    parser.add_argument("--workspaces", type=int, default=200_000)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--new-users", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2, help="resolve_accounts --full --jobs (default 2: both cores)")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument("--broker", default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/0"),
                        help="Broker for the worker's incremental runs (a queue of its own is used).")
    parser.add_argument("--no-worker", action="store_true", help="Skip the incremental runs served by a worker.")
    args = parser.parse_args()
    if args.db in PROTECTED:
        sys.exit(f"Refusing to drop {args.db!r}: give a scratch database name.")

    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(args.db)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.db)))
    url = f"{args.server}/{args.db}"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)

    started = time.monotonic()
    data = Data(args)
    print(f"generated {len(data.crm):,} companies, {len(data.domains):,} domains, {len(data.workspaces):,} "
          f"workspaces in {time.monotonic() - started:.1f} s")
    with psycopg.connect(url) as conn:
        load(conn, data, args)

    jobs = ("--jobs", str(args.jobs))
    # --cold: no name index or name rankings cached from an earlier benchmark on this machine
    full = resolve(url, f"full run (everything unresolved, nothing cached, --jobs {args.jobs})", "--full", "--cold",
                   *jobs)
    autovacuum_stand_in(url, ("accounts_productuser", "accounts_workspace"))
    again = resolve(url, f"second full run (nothing changed, --jobs {args.jobs})", "--full", *jobs)
    with psycopg.connect(url) as conn:
        add_new_users(conn, data, args)
    incremental = resolve(url, f"incremental run after {args.new_users:,} new users (one-off command)")
    worker_first = worker_warm = None
    if not args.no_worker:
        # production: a long-lived worker serves the incremental runs queued after imports and product
        # events, and keeps the context between them. Its first run loads the context and the name
        # index (a cold worker); the next one is what a warm worker does.
        try:
            with Worker(url, args.broker) as worker:
                with psycopg.connect(url) as conn:
                    add_new_users(conn, data, args, salt=1)
                worker_first = worker.incremental(f"worker's first incremental run after {args.new_users:,} more new "
                                                  "users (cold worker)")
                with psycopg.connect(url) as conn:
                    add_new_users(conn, data, args, salt=2)
                worker_warm = worker.incremental(f"warm worker's incremental run after {args.new_users:,} more new "
                                                 "users")
        except WorkerUnavailable as exc:
            print(f"== no worker runs: {exc}")

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT match_status, match_method, count(*) FROM accounts_productuser GROUP BY 1, 2 ORDER BY 3 DESC"
        ).fetchall()
    print("users by status and method: " + ", ".join(f"{s}/{m or '-'} {n:,}" for s, m, n in rows))
    summary = {"full_s": full["seconds"], "second_full_s": again["seconds"], "incremental_s": incremental["seconds"],
               "full_cpu_s": full["cpu"], "second_full_cpu_s": again["cpu"], "incremental_cpu_s": incremental["cpu"],
               "full_db_cpu_s": full["db_cpu"], "second_full_db_cpu_s": again["db_cpu"],
               "incremental_db_cpu_s": incremental["db_cpu"],
               "peak_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}
    if worker_warm is not None:
        summary.update(worker_first_incremental_s=worker_first["seconds"], worker_incremental_s=worker_warm["seconds"],
                       worker_incremental_wall_s=worker_warm["wall"], worker_incremental_cpu_s=worker_warm["cpu"],
                       worker_incremental_db_cpu_s=worker_warm["db_cpu"], worker_peak_mib=worker_warm["peak_mib"])
    print("summary " + json.dumps(summary))
    if not args.keep:
        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(args.db)))


if __name__ == "__main__":
    main()
