"""Load test: gunicorn + PostgreSQL + the large demo data, 50 simulated people for 60 s on loopback.

    .venv/bin/python bench/load.py --reuse        # the usual run (seeds the database only if it is missing)
    .venv/bin/python bench/load.py [--server postgres://postgres@127.0.0.1:5432] [--db revops_load]
                                   [--reuse] [--drop] [--users 50] [--duration 60] [--warmup 10]
                                   [--think 2-8] [--workers 9] [--threads 1] [--port 0] [--runs 1]
                                   [--cache redis://127.0.0.1:6379/7] [--seed 42] [--size large]

Database: without --reuse the scratch database --db is dropped, created, migrated and seeded with
``seed_demo --size large`` (33 minutes at load 3–7, most of it the stakeholder, interaction and
playbook demo data; 100,000 companies, 572,000 stakeholders, 1.2 M interactions, 102,000
contracts, 106,000 deals). With --reuse an existing, seeded database is
migrated (a no-op when up to date) and used as it is; a missing one is seeded. The database is kept
afterwards (so the next --reuse is quick) unless --drop is given. Contacts logged by a run stay in it
(a few thousand interactions over the demo's ~1 M do not change the figures).

Server: gunicorn (gthread, --workers × --threads) on 127.0.0.1 with production settings: DEBUG=0,
a random SECRET_KEY, ALLOWED_HOSTS, static files collected into a temporary directory and served by
whitenoise, the cache in Redis (--cache; "" for the in-process cache), the API's per-user and
anonymous rate limits off (API_THROTTLE_USER=off, API_THROTTLE_ANON=off: 50 people behind one
address would otherwise be counted as one). Log-in throttling stays on: it counts failed log-ins
only. Celery tasks run in-process, as without a broker. The client plays the TLS proxy in front
(X-Forwarded-Proto: https), so the HTTPS redirect, secure cookies and CSRF origin checks apply.

People: the demo's reps and managers (not the admin), each simulated user a separate session
(four or five devices per person: the demo has ten reps and two managers). Each user logs in
through the login form (before the measurement: PBKDF2 costs ~0.5 s of CPU per log-in, and people
log in once a day), fetches the page's static files once, then loops: one action, a think time
(--think, uniform between the bounds; 0 for a closed loop that measures queueing), the next action.
The default, 2–8 s (5 s on average, a dozen actions a minute per person), is a brisk human pace —
reading an account page or the review takes longer; 50 such people offer ~9 requests a second.
`--think 0.5-1.5` (~40 a second) and `--think 0` show where the two cores saturate.
Before the window one request per time zone warms the forecast roll-up cache (printed apart): it is
cached per local date until contracts, deals or companies change, which logging contacts does not.
Actions (weights differ for reps and managers): the account list (own accounts, sorted, paged),
an account search, an account page, the weekly review, the forecast page, the API lists of
companies, stakeholders and interactions with a token (Authorization: Token), and logging a contact
the way a rep does — the htmx dialog (GET), then its form POST with the CSRF token, answered with
the redrawn stakeholder panel — or through POST /api/v1/interactions/.

`--runs N` repeats the measurement N times, each with a fresh server and freshly logged-in users,
and ends with a table of every targeted endpoint's p95 per run, its worst, and in how many runs it met
its target: at ~42 requests per endpoint a run's p95 is its second or third slowest request, so whether
a target is met reliably takes several runs to tell (`.venv/bin/python bench/load.py --reuse --runs 6`).

Printed: per endpoint count, errors, throughput, p50/p95/p99 in ms against the targets (pages
≤ 300 ms p95, API lists ≤ 150 ms p95), the gunicorn configuration, the load average before and after
and the CPU the server, the database and the client used in the window, with the CPU per request
and the request rate the users offer: when the offered rate is above what the cores can serve, the
figures measure the queue, not the pages (lower --users or raise --think to see the latter).
"postgres (all)" counts every PostgreSQL backend, other people's too. Exit status 1 if any request
failed (a status outside 2xx/3xx, a refused form, an exception); the first errors are printed, and
the server's log (tracebacks) at the end.

Needs: PostgreSQL at --server, Redis at --cache; nothing outside the project's dependencies (the
HTTP client is asyncio streams: keep-alive, chunked bodies, cookies).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PROTECTED = {"postgres", "test", "template0", "template1"}
DEMO_PASSWORD = "revops-demo"
PAGE_TARGET_MS = 300
API_TARGET_MS = 150
MEASURED_KINDS = ("page", "api", "api write")  # the window's requests; "static" and "setup" come before it
KIND_ORDER = {"page": 0, "api": 1, "api write": 2, "static": 3, "setup": 4}  # the order reports list them in


# --- figures ----------------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) of values, interpolating linearly between the closest ranks.

    The same definition as numpy's default and statistics.quantiles(method="inclusive"): the
    smallest value is the 0th percentile, the largest the 100th.
    """
    if not values:
        return math.nan
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is not between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def parse_think(text: str) -> tuple[float, float]:
    """"0.5-1.5" → (0.5, 1.5); "1" → (1.0, 1.0); "0" → no think time."""
    low, sep, high = text.partition("-")
    try:
        bounds = (float(low), float(high) if sep else float(low))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--think {text!r}: give seconds, e.g. 0.5-1.5 or 0") from exc
    if bounds[0] < 0 or bounds[1] < bounds[0]:
        raise argparse.ArgumentTypeError(f"--think {text!r}: bounds must be 0 ≤ low ≤ high")
    return bounds


@dataclass
class Endpoint:
    name: str
    kind: str  # "page", "api", "api write", "static", "setup"
    times_ms: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def target_ms(self) -> int | None:
        return {"page": PAGE_TARGET_MS, "api": API_TARGET_MS}.get(self.kind)


class Stats:
    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}
        self.errors: list[str] = []
        self.recording = False

    def add(self, name: str, kind: str, ms: float, error: str | None) -> None:
        if not self.recording and kind not in ("setup", "static"):
            if error:  # an error in the warm-up still fails the run
                self.errors.append(f"(warm-up) {name}: {error}")
            return
        endpoint = self.endpoints.setdefault(name, Endpoint(name, kind))
        endpoint.times_ms.append(ms)
        if error:
            endpoint.errors += 1
            self.errors.append(f"{name}: {error}")


# --- a small HTTP/1.1 client on asyncio streams (keep-alive, chunked bodies) ----------------------------

@dataclass
class Response:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Connection:
    """One keep-alive connection, as a browser tab (or an API client) holds it."""

    def __init__(self, host: str, port: int, *, base_headers: dict[str, str]):
        self.host, self.port = host, port
        self.base_headers = base_headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None

    async def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                      body: bytes = b"") -> Response:
        head = {"Host": f"{self.host}:{self.port}", **self.base_headers, **(headers or {})}
        if body or method in ("POST", "PUT", "PATCH"):
            head["Content-Length"] = str(len(body))
        data = (f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items())
                + "\r\n").encode("latin-1") + body
        for attempt in (1, 2):
            reused = self.writer is not None
            if not reused:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                self.writer.write(data)
                await self.writer.drain()
                return await self._read(method)
            except (ConnectionError, asyncio.IncompleteReadError, EmptyResponse):
                await self.close()
                # A browser retries once when a kept-alive connection was closed by the server
                # before it answered; anything else is an error.
                if not reused or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _read(self, method: str) -> Response:
        reader = self.reader
        status_line = await reader.readline()
        if not status_line:
            raise EmptyResponse()
        parts = status_line.decode("latin-1").split(" ", 2)
        status = int(parts[1])
        headers, cookies = await read_headers(reader)
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await read_chunked(reader)
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        else:
            body = await reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, headers, cookies, body)


class EmptyResponse(Exception):
    """The server closed the connection without answering."""


async def read_headers(reader: asyncio.StreamReader) -> tuple[dict[str, str], list[str]]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    while True:
        line = (await reader.readline()).decode("latin-1")
        if line in ("\r\n", "\n", ""):
            return headers, cookies
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "set-cookie":
            cookies.append(value)
        else:
            headers[name] = f"{headers[name]}, {value}" if name in headers else value


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while True:
        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


# --- the simulated people -------------------------------------------------------------------------------

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken":\s*"([^"]+)"')
STATIC_REF = re.compile(r'(?:href|src)="(/static/[^"]+)"')
STAKEHOLDER_BOX = re.compile(r'name="stakeholders" value="(\d+)"')
OCCURRED_AT = re.compile(r'name="occurred_at" value="([^"]+)"')
ERRORLIST = re.compile(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.S)

# (action, weight for a rep, weight for a manager)
ACTIONS = (
    ("account_list", 14, 12),
    ("account_search", 6, 6),
    ("account_page", 20, 14),
    ("weekly_review", 6, 20),
    ("forecast", 5, 14),
    ("api_companies", 8, 8),
    ("api_stakeholders", 8, 6),
    ("api_interactions", 8, 8),
    ("log_contact", 12, 2),
    ("api_log_contact", 4, 0),
)


class User:
    def __init__(self, number: int, person: dict, *, host: str, port: int, stats: Stats, think: tuple[float, float],
                 rng: random.Random):
        self.number, self.person, self.stats, self.think, self.rng = number, person, stats, think, rng
        origin = f"https://{host}:{port}"
        browser = {"User-Agent": f"revops-load/{number}", "Accept": "text/html", "X-Forwarded-Proto": "https",
                   "Accept-Encoding": "identity"}
        self.origin = origin
        self.page = Connection(host, port, base_headers=browser)
        self.api = Connection(host, port, base_headers={
            "User-Agent": f"revops-load-api/{number}", "Accept": "application/json", "X-Forwarded-Proto": "https",
            "Authorization": f"Token {person['token']}"})
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.stakeholders_next: str | None = None  # the `next` link of the stakeholder list last read
        self.stakeholder_depth = 0
        self.static: list[str] = []
        kind = 1 if person["role"] == "rep" else 2
        self.actions = [a[0] for a in ACTIONS]
        self.weights = [a[kind] for a in ACTIONS]

    # plumbing
    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def _keep_cookies(self, response: Response) -> None:
        for cookie in response.cookies:
            pair, *attributes = cookie.split(";")
            name, _, value = pair.strip().partition("=")
            expired = any(a.strip().lower() in ("max-age=0",) for a in attributes)
            if expired or value in ('""', ""):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    async def _call(self, name: str, kind: str, connection: Connection, method: str, path: str, *,
                    headers: dict | None = None, body: bytes = b"", check=None) -> Response | None:
        started = time.perf_counter()
        error = None
        response = None
        try:
            extra = {**(self._cookie_header() if connection is self.page else {}), **(headers or {})}
            response = await connection.request(method, path, headers=extra, body=body)
            if connection is self.page:
                self._keep_cookies(response)
            if not 200 <= response.status < 400:
                error = f"{method} {path} → {response.status}: {response.text[:300]!r}"
            elif check is not None:
                problem = check(response)
                if problem:
                    error = f"{method} {path} → {response.status}: {problem}"
        except Exception as exc:  # noqa: BLE001 — every failure is counted and reported
            error = f"{method} {path} → {exc.__class__.__name__}: {exc}"
            await connection.close()
        self.stats.add(name, kind, (time.perf_counter() - started) * 1000, error)
        return None if error else response

    def _remember_csrf(self, response: Response | None) -> None:
        if response is not None:
            match = CSRF_HEADER.search(response.text) or CSRF_INPUT.search(response.text)
            if match:
                self.csrf = unescape(match.group(1))

    # log-in and first visit
    async def login(self) -> bool:
        form = await self._call("log-in form", "setup", self.page, "GET", "/login/")
        if form is None:
            return False
        token = CSRF_INPUT.search(form.text)
        body = urlencode({"csrfmiddlewaretoken": token.group(1) if token else "",
                          "username": self.person["username"], "password": DEMO_PASSWORD, "next": "/"}).encode()
        done = await self._call(
            "log-in", "setup", self.page, "POST", "/login/", body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin,
                     "Referer": f"{self.origin}/login/"},
            check=lambda r: None if r.status == 302 and "sessionid" in self.cookies else "no session after log-in")
        if done is None:
            return False
        home, location = done, "/"
        for _ in range(3):  # the home page sends each role on to its start page
            if home is None or home.status not in (301, 302, 303):
                break
            location = home.headers.get("location", "/").removeprefix(self.origin)
            home = await self._call("home (after log-in)", "setup", self.page, "GET", location)
        self._remember_csrf(home)
        if home is not None:
            self.static = sorted(set(STATIC_REF.findall(home.text)))
            for path in self.static:  # a browser's first visit; later pages use its cache
                await self._call("static file (first visit)", "static", self.page, "GET", path)
        return home is not None

    # actions
    def _page_number(self, most: int) -> int:
        """An account-list page a person might go to: 2 to `most`, within the list's pages (50 rows each)."""
        pages = self.person["company_pages"]
        return self.rng.randint(min(2, pages), max(1, min(most, pages)))

    def _account(self) -> dict:
        return self.rng.choice(self.person["accounts"])

    async def account_list(self) -> None:
        params = self.rng.choice([
            {},
            {"owner": self.person["id"]} if self.person["role"] == "rep" else {"tier": "enterprise"},
            {"sort": "-potential"},
            {"sort": "-arr", "page": self._page_number(20)},
            {"page": self._page_number(50)},
        ])
        await self._page("account list", "/accounts/" + (f"?{urlencode(params)}" if params else ""))

    async def account_search(self) -> None:
        await self._page("account search", "/accounts/?" + urlencode({"q": self.rng.choice(self.person["terms"])}))

    async def account_page(self) -> None:
        await self._page("account page", f"/accounts/{self._account()['id']}/")

    async def weekly_review(self) -> None:
        await self._page("weekly review", "/review/")

    async def forecast(self) -> None:
        await self._page("forecast", "/forecast/")

    async def _page(self, name: str, path: str) -> None:
        self._remember_csrf(await self._call(name, "page", self.page, "GET", path))

    async def api_companies(self) -> None:
        params = self.rng.choice([{}, {"owner": self.person["id"]}, {"page": self._page_number(50)},
                                  {"tier": "enterprise"}])
        await self._call("API companies", "api", self.api, "GET",
                         "/api/v1/companies/" + (f"?{urlencode(params)}" if params else ""), check=_json_list)

    async def api_stakeholders(self) -> None:
        """One account's people, the first page of everyone, or the next page after one seen before (the
        list pages by cursor: a client follows `next`)."""
        choice = self.rng.choice(("company", "all", "next"))
        if choice == "next" and self.stakeholders_next:
            path = self.stakeholders_next
        else:
            params = {"company": self._account()["id"]} if choice == "company" else {}
            path = "/api/v1/stakeholders/" + (f"?{urlencode(params)}" if params else "")
        response = await self._call("API stakeholders", "api", self.api, "GET", path, check=_json_list)
        if response is not None and choice != "company":
            following = json.loads(response.body).get("next")
            # up to twenty pages deep, as people and integrations page through the list
            self.stakeholders_next = (urlsplit(following)._replace(scheme="", netloc="").geturl()
                                      if following and self.stakeholder_depth < 20 else None)
            self.stakeholder_depth = self.stakeholder_depth + 1 if self.stakeholders_next else 0

    async def api_interactions(self) -> None:
        params = self.rng.choice([{"company": self._account()["id"]}, {}, {"logged_by": self.person["id"]},
                                  {"next_step_open": "true", "owner": self.person["id"]}])
        await self._call("API interactions", "api", self.api, "GET",
                         "/api/v1/interactions/" + (f"?{urlencode(params)}" if params else ""), check=_json_list)

    async def log_contact(self) -> None:
        """The rep's three clicks: the account's "Log contact" dialog (htmx), tick people, save."""
        account = self._account()
        htmx = {"HX-Request": "true", "HX-Current-URL": f"{self.origin}/accounts/{account['id']}/",
                "HX-Target": "dialog-body"}
        dialog = await self._call("log contact: dialog (htmx)", "page", self.page, "GET",
                                  f"/review/accounts/{account['id']}/log/?origin=panel", headers=htmx)
        if dialog is None:
            return
        people = STAKEHOLDER_BOX.findall(dialog.text)
        token = CSRF_INPUT.search(dialog.text)
        when = OCCURRED_AT.search(dialog.text)
        if not people or not when:
            self.stats.add("log contact: save (htmx POST)", "page", 0.0,
                           f"the dialog of account {account['id']} has no stakeholder boxes or date")
            return
        await self._think()
        fields = [("stakeholders", p) for p in self.rng.sample(people, k=min(len(people), self.rng.choice((1, 1, 2))))]
        fields += [("channel", self.rng.choice(("meeting", "video", "phone", "email"))),
                   ("occurred_at", unescape(when.group(1))), ("summary", "Load test: checked in on the rollout."),
                   ("next_step", ""), ("next_step_due", ""), ("origin", "panel"),
                   ("csrfmiddlewaretoken", unescape(token.group(1)) if token else self.csrf)]
        await self._call(
            "log contact: save (htmx POST)", "page", self.page, "POST", f"/review/accounts/{account['id']}/log/",
            body=urlencode(fields).encode(),
            headers={**htmx, "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.csrf,
                     "Origin": self.origin, "Referer": f"{self.origin}/accounts/{account['id']}/"},
            check=_saved)

    async def api_log_contact(self) -> None:
        account = self._account()
        body = json.dumps({"company": account["id"], "stakeholders": [self.rng.choice(account["stakeholders"])],
                           "channel": self.rng.choice(("phone", "email", "meeting")),
                           "summary": "Load test: logged from the calendar integration."}).encode()
        await self._call("API log interaction (POST)", "api write", self.api, "POST", "/api/v1/interactions/",
                         body=body, headers={"Content-Type": "application/json"},
                         check=lambda r: None if r.status == 201 else f"expected 201, got {r.status}")

    async def _think(self) -> None:
        low, high = self.think
        if high > 0:
            await asyncio.sleep(self.rng.uniform(low, high))

    async def run(self, until: float) -> None:
        await self._think()  # people do not all click at the same instant
        while time.monotonic() < until:
            action = self.rng.choices(self.actions, weights=self.weights)[0]
            await getattr(self, action)()
            await self._think()

    async def close(self) -> None:
        await self.page.close()
        await self.api.close()


def _json_list(response: Response) -> str | None:
    try:
        data = json.loads(response.body)
    except ValueError:
        return f"not JSON: {response.text[:120]!r}"
    return None if isinstance(data, dict) and "results" in data else f"not a page of results: {response.text[:120]!r}"


def _saved(response: Response) -> str | None:
    if "stakeholders:saved" in response.headers.get("hx-trigger", ""):
        return None
    errors = [re.sub(r"<[^>]+>", " ", e).strip() for e in ERRORLIST.findall(response.text)]
    return f"the form was not saved: {'; '.join(errors) or response.text[:200]!r}"


async def drive(people: list[dict], args, port: int, stats: Stats) -> dict:
    rng = random.Random(args.seed)
    users = [User(n, people[n % len(people)], host="127.0.0.1", port=port, stats=stats, think=args.think,
                  rng=random.Random(rng.random())) for n in range(args.users)]
    # Log-ins before the measurement, a few at a time (as people arrive in the morning).
    started = time.monotonic()
    gate = asyncio.Semaphore(max(2, args.workers * args.threads // 2))

    async def login(user: User) -> bool:
        async with gate:
            return await user.login()

    logged_in = await asyncio.gather(*(login(u) for u in users))
    login_seconds = time.monotonic() - started
    users = [u for u, ok in zip(users, logged_in) if ok]
    if not users:
        return {"login_seconds": login_seconds, "users": 0}
    # The forecast roll-up is cached until its data changes (contact logging does not change it) or
    # the date changes — the date in the viewer's time zone, so around midnight UTC there are two.
    # Its first computation, seconds of CPU, is shown on its own rather than in the figures.
    for zone in sorted({u.person["time_zone"] for u in users}):
        user = next(u for u in users if u.person["time_zone"] == zone)
        await user._call("forecast (roll-up cache warm-up)", "setup", user.page, "GET", "/forecast/")
    print(f"   {len(users)} of {args.users} users logged in in {login_seconds:.1f} s; "
          f"warm-up {args.warmup} s, then {args.duration} s measured …", flush=True)
    load_before = os.getloadavg()
    now = time.monotonic()
    until = now + args.warmup + args.duration
    tasks = [asyncio.create_task(u.run(until)) for u in users]
    await asyncio.sleep(args.warmup)
    stats.recording = True
    measure_start = time.monotonic()
    cpu_start = _cpu_snapshot(args.server_pid)
    await asyncio.sleep(max(0.0, until - time.monotonic()))
    cpu_end = _cpu_snapshot(args.server_pid)
    stats.recording = False  # what is still in flight after the window is not counted
    measured = time.monotonic() - measure_start
    load_after = os.getloadavg()
    await asyncio.gather(*tasks)
    for user in users:
        await user.close()
    return {"login_seconds": login_seconds, "users": len(users), "measured": measured,
            "load_before": load_before, "load_after": load_after,
            "cpu": {k: cpu_end[k] - cpu_start[k] for k in cpu_end}}


# --- CPU accounting from /proc -------------------------------------------------------------------------

def _cpu_snapshot(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the gunicorn processes, PostgreSQL's backends and this client.

    A process that exits between two snapshots would take its CPU with it (the difference could even
    come out negative), so the parents' counts of their reaped children are added: gunicorn's master
    for its workers, the postmaster for every backend that ended."""
    tick = os.sysconf("SC_CLK_TCK")
    gunicorn = postgres = 0.0
    processes = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        processes.append((int(entry), int(fields[1]), name, (int(fields[11]) + int(fields[12])) / tick,
                          (int(fields[13]) + int(fields[14])) / tick))
    postgres_pids = {pid for pid, _, name, _, _ in processes if name.startswith("postgres")}
    for pid, ppid, name, cpu, reaped in processes:
        if pid == server_pid:
            gunicorn += cpu + reaped
        elif ppid == server_pid:
            gunicorn += cpu
        elif pid in postgres_pids:
            # every database backend: other agents' queries are counted too
            postgres += cpu + (reaped if ppid not in postgres_pids else 0.0)
    own = os.times()
    return {"gunicorn": gunicorn, "postgres (all)": postgres, "client": own.user + own.system}


# --- set-up: database, settings, server -----------------------------------------------------------------

def _run(cmd: list[str], env: dict, what: str) -> str:
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"{what} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result.stdout


def database_ready(server: str, db: str, size: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{server}/{db}", connect_timeout=5) as conn:
            seeded = conn.execute(
                "SELECT (SELECT count(*) FROM accounts_company WHERE external_id LIKE 'DEMO-%%') >= %s"
                " AND EXISTS (SELECT 1 FROM auth_user WHERE username = 'maria')"
                " AND EXISTS (SELECT 1 FROM stakeholders_interaction)",
                (90_000 if size == "large" else 100,)).fetchone()[0]
            return bool(seeded)
    except psycopg.Error:
        return False


def database_prepare(args, env: dict) -> str:
    import psycopg
    from psycopg import sql

    url = f"{args.server}/{args.db}"
    dev = {**env, "DATABASE_URL": url, "DEBUG": "1"}
    if args.reuse and database_ready(args.server, args.db, args.size):
        print(f"== reusing database {args.db} (seeded); migrating if needed", flush=True)
        _run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], dev, "migrate")
        return url
    print(f"== creating database {args.db} and seeding the {args.size} demo (large: several minutes) …", flush=True)
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.db)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.db)))
    _run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], dev, "migrate")
    started = time.monotonic()
    _run([sys.executable, "manage.py", "seed_demo", "--size", args.size, "--seed", "42"], dev, "seed_demo")
    print(f"   seeded in {time.monotonic() - started:.0f} s", flush=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return url


def people_prepare(url: str, seed: int) -> list[dict]:
    """The demo's reps and managers with an API token each, the accounts they work on and search terms.

    Runs in a child process (Django pointed at the scratch database); prints JSON.
    """
    os.environ.update({"DATABASE_URL": url, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "revops.settings.dev"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q
    from rest_framework.authtoken.models import Token

    from accounts.models import Company
    from revops import roles
    from stakeholders.models import Stakeholder

    rng = random.Random(seed)
    people = []
    company_pages = math.ceil(Company.objects.count() / 50)  # the account list's pages
    users = get_user_model().objects.filter(groups__name__in=(roles.REP, roles.MANAGER)).distinct().order_by("username")
    for user in users:
        role = "manager" if user.groups.filter(name=roles.MANAGER).exists() else "rep"
        if role == "manager":
            team_reps = get_user_model().objects.filter(profile__team__manager=user)
            scope = Company.objects.filter(owner__in=team_reps)
        else:
            scope = Company.objects.filter(owner=user)
        ids = list(scope.annotate(people=Count("stakeholders", filter=Q(stakeholders__is_active=True)))
                   .filter(people__gt=0).order_by("pk").values_list("pk", flat=True))
        if not ids:
            continue
        chosen = sorted(rng.sample(ids, k=min(200, len(ids))))
        stakeholders: dict[int, list[int]] = {}
        for company_id, pk in Stakeholder.objects.filter(company_id__in=chosen, is_active=True).values_list(
                "company_id", "pk"):
            stakeholders.setdefault(company_id, []).append(pk)
        names = scope.order_by("?").values_list("name", flat=True)[:40]
        terms = sorted({name.split()[0] for name in names if name.split()} | {name[:5] for name in names[:10]})
        token, _ = Token.objects.get_or_create(user=user)
        zone = getattr(getattr(user, "profile", None), "time_zone", "") or "UTC"
        people.append({"username": user.username, "id": user.pk, "role": role, "token": token.key, "time_zone": zone,
                       "accounts": [{"id": c, "stakeholders": stakeholders[c]} for c in chosen],
                       "owned": len(ids), "terms": terms,
                       "company_pages": company_pages})
    return people


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_start(args, url: str, tmp: Path, port: int) -> tuple[subprocess.Popen, dict]:
    (tmp / "revops_load_settings.py").write_text(
        "from revops.settings.base import *  # noqa: F401,F403\n"
        f"STATIC_ROOT = {str(tmp / 'static')!r}\n")
    env = {**os.environ,
           "DJANGO_SETTINGS_MODULE": "revops_load_settings",
           "PYTHONPATH": os.pathsep.join([str(tmp), str(ROOT)]),
           "DEBUG": "0",
           "SECRET_KEY": secrets.token_urlsafe(60),
           "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "DATABASE_URL": url,
           "CACHE_URL": args.cache,
           "API_THROTTLE_USER": "off",
           "API_THROTTLE_ANON": "off",
           "LOG_LEVEL": "ERROR"}
    for name in ("CELERY_BROKER_URL", "REDIS_URL"):
        env.pop(name, None)
    _run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env, "collectstatic")
    command = [str(Path(sys.executable).with_name("gunicorn")), "revops.wsgi",
               "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
               "--workers", str(args.workers), "--threads", str(args.threads),
               "--keep-alive", "5", "--timeout", "60", "--graceful-timeout", "10",
               "--error-logfile", "-", "--log-level", "warning"]
    # The application's own log (500s with their tracebacks) goes to the same file.
    log = open(tmp / "gunicorn.log", "ab")  # noqa: SIM115 — closed with the server
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}:\n{(tmp / 'gunicorn.log').read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
                          b"Connection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return server, env
        except OSError:
            pass
        time.sleep(0.3)
    server_stop(server)
    sys.exit(f"gunicorn did not answer /healthz within 60 s:\n{(tmp / 'gunicorn.log').read_text()[-3000:]}")


def server_stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- report -------------------------------------------------------------------------------------------------

def report(stats: Stats, outcome: dict, args) -> bool:
    measured = outcome["measured"]
    print(f"\n== {outcome['users']} users, {measured:.1f} s measured, think time "
          f"{_think_text(args.think)}; gunicorn gthread {args.workers} workers × {args.threads} threads")
    print("   load average (1/5/15 min) before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}; {} cores".format(
        *outcome["load_before"], *outcome["load_after"], os.cpu_count()))
    cpu = outcome["cpu"]
    print("   CPU seconds in the window: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
          + f" (of {measured * (os.cpu_count() or 1):.0f} the machine has)")
    served = _served(stats)
    if served:
        per_request = (cpu["gunicorn"] + cpu["postgres (all)"]) / served
        low, high = args.think
        all_ms = [t for e in stats.endpoints.values() if e.kind in MEASURED_KINDS for t in e.times_ms]
        offered = (f"~{outcome['users'] / ((low + high) / 2 + 0.1):.0f} req/s at 100 ms answers" if high
                   else "as many as the server answers (closed loop)")
        print(f"   CPU per request: {cpu['gunicorn'] / served * 1000:.0f} ms application + "
              f"{cpu['postgres (all)'] / served * 1000:.0f} ms database → at most "
              f"~{(os.cpu_count() or 1) / per_request:.0f} req/s on {os.cpu_count()} idle cores; these users "
              f"would send {offered} (served {served / measured:.1f} req/s, mean answer "
              f"{sum(all_ms) / len(all_ms):.0f} ms)")
    header = f"   {'endpoint':<32} {'count':>6} {'errors':>6} {'req/s':>6} {'p50':>7} {'p95':>7} {'p99':>7}  target p95"
    print(header)
    print("   " + "-" * (len(header) - 3))
    every: list[float] = []
    errors = 0
    missed = []
    for endpoint in sorted(stats.endpoints.values(), key=lambda e: (KIND_ORDER[e.kind], e.name)):
        times = endpoint.times_ms
        p95 = percentile(times, 95)
        target = endpoint.target_ms
        if endpoint.kind in MEASURED_KINDS:
            every += times
            errors += endpoint.errors
            rate = f"{len(times) / measured:6.1f}"
        else:
            rate = f"{'—':>6}"
        verdict = "" if target is None else (f"≤ {target} ms " + ("met" if p95 <= target else "MISSED"))
        if target is not None and p95 > target:
            missed.append(endpoint.name)
        print(f"   {endpoint.name:<32} {len(times):>6} {endpoint.errors:>6} {rate} {percentile(times, 50):>7.0f} "
              f"{p95:>7.0f} {percentile(times, 99):>7.0f}  {verdict}")
    print("   " + "-" * (len(header) - 3))
    print(f"   {'all measured requests':<32} {len(every):>6} {errors:>6} {len(every) / measured:6.1f} "
          f"{percentile(every, 50):>7.0f} {percentile(every, 95):>7.0f} {percentile(every, 99):>7.0f}")
    print(f"   (log-ins and static files happen before the window and are not in the total; "
          f"{outcome['login_seconds']:.1f} s for {args.users} log-ins)")
    if missed:
        print(f"   targets missed: {', '.join(missed)}")
    if stats.errors:
        print(f"\n== {len(stats.errors)} failed requests; the first ones:")
        for line in stats.errors[:8]:
            print(f"   {line[:600]}")
    return not stats.errors


def _served(stats: Stats) -> int:
    """Requests measured in the window (log-ins and static files come before it)."""
    return sum(len(e.times_ms) for e in stats.endpoints.values() if e.kind in MEASURED_KINDS)


def _think_text(think: tuple[float, float]) -> str:
    low, high = think
    if high == 0:
        return "0 (closed loop: measures queueing, not latency)"
    return f"{low:g} s" if low == high else f"{low:g}–{high:g} s uniform"


def runs_summary(runs: list[tuple[Stats, dict]]) -> list[str]:
    """Lines comparing several runs (--runs): each targeted endpoint's p95 per run, its worst, and in
    how many runs it met its target; the CPU per request of each run; how many runs met every target.
    A single run's p95 is the second or third slowest of ~42 requests, so one run says little about
    whether a target is met reliably."""
    names: dict[str, int] = {}
    for stats, _ in runs:
        for endpoint in stats.endpoints.values():
            if endpoint.target_ms is not None:
                names.setdefault(endpoint.name, endpoint.target_ms)
    kinds = {e.name: e.kind for stats, _ in runs for e in stats.endpoints.values()}
    columns = [f"run {n}" for n in range(1, len(runs) + 1)]
    width = max(6, *(len(c) for c in columns))
    lines = [f"== {len(runs)} runs: p95 in ms per run against the targets",
             f"   {'endpoint':<32} " + " ".join(f"{c:>{width}} " for c in columns)
             + f" {'worst':>7}  target   met in"]
    all_met = [True] * len(runs)
    for name in sorted(names, key=lambda n: (KIND_ORDER[kinds[n]], n)):
        target = names[name]
        p95s = []
        for index, (stats, _) in enumerate(runs):
            endpoint = stats.endpoints.get(name)
            p95 = percentile(endpoint.times_ms, 95) if endpoint else math.nan
            p95s.append(p95)
            if not p95 <= target:  # NaN (nothing measured) is not met either
                all_met[index] = False
        cells = " ".join(f"{p:>{width}.0f}" + ("*" if not p <= target else " ") for p in p95s)
        worst = max((p for p in p95s if not math.isnan(p)), default=math.nan)
        met = sum(1 for p in p95s if p <= target)
        lines.append(f"   {name:<32} {cells} {worst:>7.0f}  ≤ {target:<5} {met} of {len(runs)}")
    cpu = []
    for stats, outcome in runs:
        served = _served(stats)
        used = outcome.get("cpu") or {}
        cpu.append(f"{used.get('gunicorn', 0) / served * 1000:.0f}+{used.get('postgres (all)', 0) / served * 1000:.0f}"
                   if served else "—")
    lines.append(f"   {'CPU per request, ms (app+db)':<32} " + " ".join(f"{c:>{width}} " for c in cpu))
    errors = [sum(e.errors for e in stats.endpoints.values()) for stats, _ in runs]
    lines.append(f"   {'errors':<32} " + " ".join(f"{e:>{width}} " for e in errors))
    lines.append(f"   all {len(names)} targets measured met in {sum(all_met)} of {len(runs)} runs "
                 "(* marks a p95 over its target)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="revops_load")
    parser.add_argument("--reuse", action="store_true", help="Use the seeded database if it is there (no re-seed).")
    parser.add_argument("--drop", action="store_true", help="Drop the database afterwards.")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="Measured seconds.")
    parser.add_argument("--warmup", type=float, default=10.0, help="Seconds of load before measuring.")
    parser.add_argument("--think", type=parse_think, default=(2.0, 8.0),
                        help="Think time between actions, seconds: LOW-HIGH uniform, one value, or 0.")
    # Processes rather than threads: a CPU-bound request holds its worker's GIL, so with 2 workers × 4
    # threads one slow page stalls three others (measured: p95 1–2.6 s vs 0.1–0.8 s with 5 × 2), and with
    # 5 × 2 two pages landing in one process still queue (weekly review p95 688 ms vs 260 ms with 9 × 1).
    parser.add_argument("--workers", type=int, default=9, help="gunicorn worker processes.")
    parser.add_argument("--threads", type=int, default=1, help="Threads per gunicorn worker (gthread).")
    parser.add_argument("--port", type=int, default=0, help="0: a free port.")
    parser.add_argument("--runs", type=int, default=1,
                        help="Repeat the measurement this many times (a fresh server each time), then compare them.")
    parser.add_argument("--cache", default="redis://127.0.0.1:6379/7", help='CACHE_URL; "" for the in-process cache.')
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--size", choices=("large", "small"), default="large",
                        help="Demo size; small only to try the script out (figures mean nothing).")
    parser.add_argument("--people", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs: give 1 or more")
    if args.people:
        print(json.dumps(people_prepare(args.people, args.seed)))
        return
    if args.db in PROTECTED:
        sys.exit(f"Refusing to use {args.db!r}: give a scratch database name.")
    args.server = args.server.rstrip("/")
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL",
                                                            "CELERY_BROKER_URL")}
    url = database_prepare(args, env)
    people = json.loads(_run([sys.executable, __file__, "--people", url, "--seed", str(args.seed)], env,
                             "preparing the users").strip().splitlines()[-1])
    print("   people: " + ", ".join(f"{p['username']} ({p['role']}, {p['owned']:,} accounts)" for p in people))
    runs: list[tuple[Stats, dict]] = []
    ok = True
    try:
        for number in range(1, args.runs + 1):
            if args.runs > 1:
                print(f"\n######## run {number} of {args.runs}", flush=True)
            stats, outcome = measure(args, url, people)
            ok = report(stats, outcome, args) and ok
            runs.append((stats, outcome))
    finally:
        if args.drop:
            import psycopg
            from psycopg import sql

            with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.db)))
    if len(runs) > 1:
        print("\n" + "\n".join(runs_summary(runs)))
    sys.exit(0 if ok else 1)


def measure(args, url: str, people: list[dict]) -> tuple[Stats, dict]:
    """One measurement: a fresh gunicorn, the users logged in, the warm-up and the window."""
    tmp = Path(tempfile.mkdtemp(prefix="revops-load-"))
    port = args.port or free_port()
    server = None
    try:
        server, _ = server_start(args, url, tmp, port)
        args.server_pid = server.pid
        print(f"== gunicorn on 127.0.0.1:{port}: gthread, {args.workers} workers × {args.threads} threads, "
              f"keep-alive 5 s; DEBUG=0, cache {args.cache or 'in-process'}, API rate limits off; "
              f"think time {_think_text(args.think)}", flush=True)
        stats = Stats()
        outcome = asyncio.run(drive(people, args, port, stats))
        if not outcome["users"]:
            print("No user could log in:")
            for line in stats.errors[:8]:
                print(f"   {line[:600]}")
            sys.exit(1)
    finally:
        if server is not None:
            server_stop(server)
        log = tmp / "gunicorn.log"
        if log.exists() and log.read_text(errors="replace").strip():
            print("== server log (last lines):\n" + "\n".join(log.read_text(errors="replace").splitlines()[-25:]))
        shutil.rmtree(tmp, ignore_errors=True)
    return stats, outcome


if __name__ == "__main__":
    main()
