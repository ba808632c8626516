"""Dependency audit: pip-audit over the installed environment, with a verdict that cannot mislead.

    .venv/bin/python .ci/audit.py [extra pip-audit arguments, e.g. -s osv or --ignore-vuln GHSA-...]

Exit codes: 0 every installed distribution was checked and none has a known vulnerability;
1 known vulnerabilities (listed with the versions that fix them); 2 the audit could not be done —
the vulnerability service was unreachable or knew none of the packages (pip-audit alone would print
"No known vulnerabilities found" then, having checked nothing).

The default service is PyPI's JSON API (https://pypi.org/pypi/<name>/<version>/json, field
"vulnerabilities"); `-s osv` asks api.osv.dev instead. Both need the internet: a PyPI mirror that
serves packages but not that API cannot answer, and the audit says so.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def main() -> int:
    command = [os.environ.get("PIP_AUDIT", str(BIN / "pip-audit")), "--local", "--skip-editable", "--progress-spinner", "off", "--format", "json",
               *sys.argv[1:]]
    result = subprocess.run(command, capture_output=True, text=True)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        print(f"AUDIT NOT DONE: pip-audit could not reach its vulnerability service.\n  {last}", file=sys.stderr)
        return 2

    dependencies = report["dependencies"]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)

    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
            print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    if vulnerable:
        print(f"{len(vulnerable)} of {audited} audited distributions have known vulnerabilities.", file=sys.stderr)
        return 1
    if audited == 0:
        print(
            f"AUDIT NOT DONE: none of the {len(dependencies)} installed distributions could be checked "
            f"({skipped[0]['skip_reason'] if skipped else 'nothing installed'}). The vulnerability service is "
            "unreachable from here; run `make audit` where pypi.org (or, with AUDIT_ARGS='-s osv', api.osv.dev) "
            "answers.",
            file=sys.stderr,
        )
        return 2
    for dep in skipped:
        print(f"not audited: {dep['skip_reason']}")
    print(f"{audited} distributions audited, no known vulnerabilities" + (f"; {len(skipped)} not audited (above)." if skipped else "."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
