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
