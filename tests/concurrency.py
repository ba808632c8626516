"""Running calls at the same moment, each in a thread with its own database connection (PostgreSQL
tests of locking and races)."""
from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def run_at_once(*calls: Callable, timeout: float = 60) -> list:
    """Start every call in its own thread, released together by a barrier; wait for them and return
    their results in order. The first exception raised in a thread is raised here (a test must see
    it); each thread closes its own connections."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(position: int, call: Callable) -> None:
        try:
            barrier.wait()
            results[position] = call()
        except BaseException as exc:  # noqa: BLE001 - raised in the test's thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(position, call)) for position, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    if any(thread.is_alive() for thread in threads):
        raise TimeoutError(f"a concurrent call ran longer than {timeout} s")
    return results
