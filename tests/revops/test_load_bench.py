"""The pieces of bench/load.py whose mistakes would go unnoticed in its output: percentiles, the
think-time flag and the HTTP/1.1 response reader (keep-alive, chunked bodies, cookies)."""
import asyncio
import concurrent.futures
import importlib.util
import statistics
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("bench_load", Path(__file__).resolve().parents[2] / "bench" / "load.py")
load = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("bench_load", load)  # dataclasses look their module up there
_spec.loader.exec_module(load)


@pytest.mark.parametrize(
    "values", [[7.0], [3.0, 1.0], [5, 1, 4, 2, 3], list(range(1, 101)), [0.4, 9.1, 2.2, 2.2, 7.5, 1.0]])
def test_percentile_matches_the_inclusive_quantiles_of_the_standard_library(values):
    if len(values) > 1:
        cuts = statistics.quantiles(values, n=100, method="inclusive")  # the 1st … 99th percentile
        for q in (1, 50, 95, 99):
            assert load.percentile(values, q) == pytest.approx(cuts[q - 1])
    assert load.percentile(values, 0) == min(values)
    assert load.percentile(values, 100) == max(values)


def test_percentile_of_known_values():
    assert load.percentile([10, 20, 30, 40], 50) == 25
    assert load.percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert load.percentile([], 95) != load.percentile([], 95)  # NaN: nothing measured
    with pytest.raises(ValueError):
        load.percentile([1, 2], 101)


@pytest.mark.parametrize("text, bounds", [("0.5-1.5", (0.5, 1.5)), ("0", (0.0, 0.0)), ("2", (2.0, 2.0))])
def test_think_time_flag(text, bounds):
    assert load.parse_think(text) == bounds


@pytest.mark.parametrize("text", ["1.5-0.5", "-1", "fast", "1-x"])
def test_think_time_flag_refuses_nonsense(text):
    with pytest.raises(Exception):
        load.parse_think(text)


def test_client_reads_chunked_and_sized_answers_on_one_kept_alive_connection_and_keeps_cookies():
    """A real server on loopback: a chunked answer with a cookie, then a sized one, on one connection."""
    requests_seen = []

    async def handle(reader, writer):
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            requests_seen.append(head.split(b"\r\n")[0].decode())
            if len(requests_seen) == 1:
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                             b"Set-Cookie: sessionid=abc; HttpOnly; Secure\r\nSet-Cookie: csrftoken=xyz; Path=/\r\n\r\n"
                             b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n")
            else:
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope")
                await writer.drain()
                writer.close()
                return
            await writer.drain()

    async def scenario():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        stats = load.Stats()
        stats.recording = True
        person = {"token": "t", "role": "rep", "id": 1, "username": "ravi", "accounts": [], "terms": [],
                  "company_pages": 1, "stakeholder_pages": 1, "time_zone": "UTC"}
        user = load.User(0, person, host="127.0.0.1", port=port, stats=stats, think=(0, 0), rng=None)
        first = await user._call("first", "page", user.page, "GET", "/a")
        second = await user._call("second", "page", user.page, "GET", "/b")
        await user.close()
        server.close()
        await server.wait_closed()
        return first, second, user, stats

    # in a thread of its own: after the browser tests, Playwright's loop runs in this one
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        first, second, user, stats = pool.submit(asyncio.run, scenario()).result(timeout=60)
    assert first.status == 200 and first.body == b"hello, world"
    assert user.cookies == {"sessionid": "abc", "csrftoken": "xyz"}
    assert second is None  # a 404 is an error, counted and described
    assert requests_seen == ["GET /a HTTP/1.1", "GET /b HTTP/1.1"]  # the same connection served both
    assert stats.endpoints["first"].errors == 0 and stats.endpoints["second"].errors == 1
    assert stats.errors == ["second: GET /b → 404: 'nope'"]


def _stats(times_by_endpoint: dict[tuple[str, str], list[float]], errors: int = 0):
    stats = load.Stats()
    for (name, kind), times in times_by_endpoint.items():
        stats.endpoints[name] = load.Endpoint(name, kind, list(times), errors if name == "account page" else 0)
    return stats


def test_runs_summary_counts_in_how_many_runs_each_target_and_every_target_was_met():
    fast = _stats({("account page", "page"): [100.0] * 20, ("API companies", "api"): [50.0] * 20,
                   ("static file (first visit)", "static"): [900.0] * 5})
    slow = _stats({("account page", "page"): [100.0] * 19 + [400.0] * 2, ("API companies", "api"): [60.0] * 20},
                  errors=2)
    lines = load.runs_summary([(fast, {"cpu": {"gunicorn": 0.52, "postgres (all)": 0.08, "client": 0.01}}),
                               (slow, {"cpu": {"gunicorn": 0.6, "postgres (all)": 0.082, "client": 0.01}})])
    text = "\n".join(lines)
    assert lines[0] == "== 2 runs: p95 in ms per run against the targets"
    page = next(line for line in lines if line.strip().startswith("account page"))
    api = next(line for line in lines if line.strip().startswith("API companies"))
    assert page.split()[2:] == ["100", "400*", "400", "≤", "300", "1", "of", "2"]
    assert api.split()[2:] == ["50", "60", "60", "≤", "150", "2", "of", "2"]
    assert lines.index(page) < lines.index(api)  # pages first, as in each run's report
    assert "static file" not in text  # no target, not compared
    assert "errors" in lines[-2] and lines[-2].split()[-2:] == ["0", "2"]
    # the application's and the database's CPU over the 40 and the 41 requests with a target
    assert lines[-3].split()[-2:] == ["13+2", "15+2"]
    assert lines[-1].startswith("   all 2 targets measured met in 1 of 2 runs")


def test_runs_summary_counts_an_endpoint_missing_from_a_run_as_not_met():
    both = _stats({("account page", "page"): [10.0], ("API companies", "api"): [10.0]})
    page_only = _stats({("account page", "page"): [10.0]})
    lines = load.runs_summary([(both, {"cpu": {}}), (page_only, {"cpu": {}})])
    api = next(line for line in lines if line.strip().startswith("API companies"))
    assert api.split()[2:4] == ["10", "nan*"] and api.split()[-3:] == ["1", "of", "2"]
    assert lines[-1].startswith("   all 2 targets measured met in 1 of 2 runs")
