"""`make audit` (.ci/audit.py) turns pip-audit's report into a verdict: findings fail, and an audit that
checked nothing says so instead of passing. pip-audit itself is replaced by a script printing a report."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _audit(tmp_path: Path, *, stdout: str, stderr: str = "", returncode: int = 0) -> subprocess.CompletedProcess:
    fake = tmp_path / "pip-audit"
    fake.write_text(
        f"#!{sys.executable}\nimport sys\nsys.stdout.write({stdout!r})\nsys.stderr.write({stderr!r})\nsys.exit({returncode})\n"
    )
    fake.chmod(0o755)
    return subprocess.run(
        [sys.executable, ".ci/audit.py"], cwd=ROOT, env={**os.environ, "PIP_AUDIT": str(fake)},
        capture_output=True, text=True, timeout=60,
    )


def _report(*dependencies: dict) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


DJANGO = {"name": "django", "version": "5.2.19", "vulns": []}


def test_known_vulnerabilities_fail_the_audit_and_name_the_fix(tmp_path):
    vulnerable = {"name": "urllib3", "version": "1.26.0", "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["1.26.19"]}]}

    result = _audit(tmp_path, stdout=_report(DJANGO, vulnerable), returncode=1)

    assert result.returncode == 1
    assert "VULNERABLE urllib3 1.26.0: GHSA-xxxx (fixed in 1.26.19)" in result.stdout


def test_a_clean_report_passes(tmp_path):
    result = _audit(tmp_path, stdout=_report(DJANGO, {"name": "celery", "version": "5.4.0", "vulns": []}))

    assert result.returncode == 0
    assert "2 distributions audited, no known vulnerabilities." in result.stdout


@pytest.mark.parametrize(
    ("stdout", "stderr"),
    [
        (_report({"name": "django", "version": "5.2.19", "skip_reason": "Dependency not found on PyPI"}), ""),
        ("", "requests.exceptions.ConnectionError: Failed to resolve 'api.osv.dev'\n"),
    ],
    ids=["service-knows-no-package", "service-unreachable"],
)
def test_an_audit_that_checked_nothing_does_not_pass(tmp_path, stdout, stderr):
    result = _audit(tmp_path, stdout=stdout, stderr=stderr, returncode=0 if stdout else 1)

    assert result.returncode == 2
    assert "AUDIT NOT DONE" in result.stderr
