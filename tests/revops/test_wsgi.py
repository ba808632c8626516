"""The WSGI entry point prepares each application-server process: URL patterns resolved, the project's
templates compiled, and the heap frozen so the cycle collector's full collections stay short."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json
import revops.wsgi
from django.template import engines
from django.core.handlers.wsgi import WSGIHandler

frozen = gc.get_freeze_count()
loader = engines["django"].engine.template_loaders[0]
compiled = sorted(name for name in loader.get_template_cache)
young = len(gc.get_objects())
handler = isinstance(revops.wsgi.application, WSGIHandler)
print(json.dumps({"frozen": frozen, "young": young, "compiled": compiled, "handler": handler}))
"""


def test_a_web_process_starts_with_its_templates_compiled_and_its_heap_frozen():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "revops.settings.test"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # the pages' templates are compiled before the first request, so what they hold is frozen too
    for name in ("base.html", "stakeholders/review.html", "accounts/company_detail.html",
                 "forecasting/forecast/dashboard.html"):
        assert name in found["compiled"], name
    # Django, the apps and those templates are in the permanent generation: a full collection walks
    # only what was allocated since (a small share of it)
    assert found["frozen"] > 100_000
    assert found["young"] < found["frozen"] // 10
    assert found["handler"]
