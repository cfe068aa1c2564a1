"""`make audit`: pip-audit over the runtime lock, with an ignore list that must give reasons.

pip-audit asks a vulnerability service (PyPI's JSON API by default) about every pinned
`name==version` of the lock, without installing anything (`--disable-pip`, hashes required).
This wrapper reads its JSON report and decides:

- a known vulnerability that `audit-ignore.toml` does not list, with its reason, fails;
- a dependency the service could not answer for is a loud warning, and a failure when
  AUDIT_STRICT=1 (Cloud Build sets it: there the service is always reachable). A machine whose
  network reaches PyPI's package index but not its per-release JSON API gets the warning.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IGNORE_FILE = Path(__file__).resolve().parents[1] / "audit-ignore.toml"


class IgnoreListError(ValueError):
    """audit-ignore.toml is malformed, or an entry gives no reason."""


def read_ignores(text: str) -> dict[str, str]:
    """Vulnerability id -> the reason it is accepted."""
    entries = tomllib.loads(text).get("ignore", [])
    if not isinstance(entries, list):
        raise IgnoreListError("`ignore` must be an array of tables ([[ignore]])")
    ignores: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != {"id", "reason"}:
            raise IgnoreListError(f"each [[ignore]] needs exactly `id` and `reason`: {entry!r}")
        vuln_id, reason = entry["id"], entry["reason"]
        if not isinstance(vuln_id, str) or not vuln_id.strip():
            raise IgnoreListError(f"empty id: {entry!r}")
        if not isinstance(reason, str) or not reason.strip():
            raise IgnoreListError(f"{vuln_id}: an ignored vulnerability needs its reason")
        ignores[vuln_id] = reason.strip()
    return ignores


@dataclass
class Verdict:
    failed: bool = False
    lines: list[str] = field(default_factory=list)


def judge(report: dict[str, Any], ignores: dict[str, str], *, strict: bool) -> Verdict:
    """The outcome of one pip-audit JSON report (`--format json`)."""
    verdict = Verdict()
    dependencies = report.get("dependencies", [])
    unaudited = [d for d in dependencies if "skip_reason" in d]
    seen_ignored: set[str] = set()
    for dependency in dependencies:
        for vuln in dependency.get("vulns", []):
            names = [vuln["id"], *vuln.get("aliases", [])]
            accepted = [name for name in names if name in ignores]
            if accepted:
                seen_ignored.update(accepted)
                verdict.lines.append(
                    f"ignored {vuln['id']} in {dependency['name']} {dependency['version']}: "
                    f"{ignores[accepted[0]]}"
                )
                continue
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed release yet"
            verdict.failed = True
            verdict.lines.append(
                f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} "
                f"(fixed in: {fixes}); move the pin in pyproject.toml and run `make lock`, or "
                "list it in audit-ignore.toml with the reason it cannot reach this service"
            )
    if unaudited:
        unaudited_names = ", ".join(d["name"] for d in unaudited)
        reason = unaudited[0]["skip_reason"]
        if strict:
            verdict.failed = True
            verdict.lines.append(
                f"NOT AUDITED ({len(unaudited)}): {unaudited_names}. First reason: {reason}"
            )
        else:
            verdict.lines.append(
                f"WARNING: {len(unaudited)} of {len(dependencies)} locked packages NOT AUDITED: "
                f"the vulnerability service did not answer for them ({reason}). "
                "AUDIT_STRICT=1 makes this an error (Cloud Build sets it)."
            )
    audited = len(dependencies) - len(unaudited)
    if audited:
        for stale in sorted(set(ignores) - seen_ignored):
            verdict.lines.append(f"note: {stale} is ignored but no longer reported: remove it")
    if audited and not verdict.failed:
        verdict.lines.append(f"audit: {audited} locked packages checked, no known vulnerability")
    return verdict


def run_pip_audit(lock: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(lock),
        "--require-hashes",
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    # pip-audit exits 1 when it finds a vulnerability; its report is on stdout either way.
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(
            f"pip-audit failed (exit {done.returncode}) without a report:\n{done.stderr}"
        ) from None
    return report


def main(
    argv: list[str],
    audit: Callable[[Path], dict[str, Any]] = run_pip_audit,
    ignore_file: Path = IGNORE_FILE,
) -> int:
    if len(argv) != 1:
        print("usage: python -m tools.audit requirements.lock", file=sys.stderr)
        return 2
    try:
        ignores = read_ignores(ignore_file.read_text(encoding="utf-8"))
    except (IgnoreListError, tomllib.TOMLDecodeError) as error:
        print(f"{ignore_file.name}: {error}", file=sys.stderr)
        return 1
    verdict = judge(audit(Path(argv[0])), ignores, strict=os.environ.get("AUDIT_STRICT") == "1")
    for line in verdict.lines:
        print(line, file=sys.stderr if verdict.failed else sys.stdout)
    return 1 if verdict.failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
