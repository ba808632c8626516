"""Python's cycle collector: paused around bulk work (imports, resolution runs, unpickling an index), and
kept off a web process's stable heap (``web_process_prepare``)."""
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cycle collector for the block; switched back on afterwards, even on an error (and
    left off if it was off already).

    Bulk work allocates a few containers per record and frees them by reference counting at once,
    but every few hundred allocations the collector re-scans what is still alive — a batch waiting to
    be staged, a run's tables of tuples, a kept name index — ever more often the larger it grows:
    about a third of the reading time of a big import, 12 instead of 17.5 s of CPU for half a full
    resolution run. None of that work forms reference cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def web_process_prepare() -> None:
    """Load what a web process's requests would load lazily, then freeze its heap for the collector.

    A web process keeps a large, stable heap: Django, the apps, the URL patterns and the compiled
    templates, some 170,000 objects. Python's full collection walks all of it (100-250 ms at a time on
    this machine) on whichever request happens to cross the collector's threshold: a page that takes
    40 ms sometimes took 250 ms, once every few dozen requests per process, and somebody waits for each
    such pause. So the WSGI entry point (``revops.wsgi``), when a process starts, resolves the URL
    patterns and compiles the project's templates (the cached loader keeps them), collects once and
    freezes what survived (``gc.freeze``): later collections walk only what requests allocate. Frozen
    objects are still counted by reference and freed when no longer used; only cycles among them are
    never collected.
    """
    from django.conf import settings
    from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 - populates the URL patterns' lookup tables
    for engine in engines.all():
        for directory in (Path(d) for option in settings.TEMPLATES for d in option.get("DIRS", ())):
            for path in sorted(directory.rglob("*.html")):
                try:
                    engine.get_template(path.relative_to(directory).as_posix())
                except (TemplateDoesNotExist, TemplateSyntaxError):  # another engine's, or a broken one:
                    continue  # the request that uses it reports it as before
    gc.collect()
    gc.freeze()
