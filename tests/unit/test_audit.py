"""tools.audit: pip-audit's JSON report and the ignore list decide `make audit`'s outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tools.audit import IGNORE_FILE, IgnoreListError, judge, main, read_ignores

CLEAN = {"name": "flask", "version": "3.1.3", "vulns": []}
VULNERABLE = {
    "name": "jinja2",
    "version": "3.1.4",
    "vulns": [
        {
            "id": "GHSA-q2x7-8rv6-6q7h",
            "aliases": ["CVE-2024-56326"],
            "fix_versions": ["3.1.5"],
            "description": "sandbox breakout",
        }
    ],
}
UNREACHABLE = {"name": "stripe", "skip_reason": "Dependency not found on PyPI"}


def report(*dependencies: dict[str, Any]) -> dict[str, Any]:
    return {"dependencies": list(dependencies), "fixes": []}


def test_a_clean_report_passes() -> None:
    verdict = judge(report(CLEAN), {}, strict=True)
    assert not verdict.failed
    assert verdict.lines == ["audit: 1 locked packages checked, no known vulnerability"]


def test_a_known_vulnerability_fails_and_names_the_fix() -> None:
    verdict = judge(report(CLEAN, VULNERABLE), {}, strict=False)
    assert verdict.failed
    assert "VULNERABLE jinja2 3.1.4: GHSA-q2x7-8rv6-6q7h (fixed in: 3.1.5)" in verdict.lines[0]
    assert "make lock" in verdict.lines[0]


@pytest.mark.parametrize("listed", ["GHSA-q2x7-8rv6-6q7h", "CVE-2024-56326"])
def test_an_ignored_vulnerability_passes_with_its_reason_by_id_or_alias(listed: str) -> None:
    verdict = judge(report(VULNERABLE), {listed: "templates are ours"}, strict=True)
    assert not verdict.failed
    assert "templates are ours" in verdict.lines[0]


def test_an_ignore_entry_nothing_reports_any_more_is_pointed_out() -> None:
    verdict = judge(report(CLEAN), {"GHSA-gone": "fixed long ago"}, strict=True)
    assert not verdict.failed
    assert any("GHSA-gone is ignored but no longer reported" in line for line in verdict.lines)


def test_an_unreachable_service_warns_and_fails_only_when_strict() -> None:
    relaxed = judge(report(UNREACHABLE), {}, strict=False)
    assert not relaxed.failed
    assert relaxed.lines[0].startswith("WARNING: 1 of 1 locked packages NOT AUDITED")
    assert judge(report(UNREACHABLE), {}, strict=True).failed


def test_a_vulnerability_fails_even_when_other_packages_were_not_audited() -> None:
    assert judge(report(UNREACHABLE, VULNERABLE), {}, strict=False).failed


@pytest.mark.parametrize(
    "text",
    [
        '[[ignore]]\nid = "GHSA-1"\n',
        '[[ignore]]\nid = "GHSA-1"\nreason = "  "\n',
        '[[ignore]]\nid = ""\nreason = "why"\n',
        '[[ignore]]\nid = "GHSA-1"\nreason = "why"\nuntil = "never"\n',
        'ignore = "GHSA-1"\n',
    ],
)
def test_an_ignore_entry_without_a_reason_is_refused(text: str) -> None:
    with pytest.raises(IgnoreListError):
        read_ignores(text)


def test_the_committed_ignore_list_is_valid() -> None:
    read_ignores(IGNORE_FILE.read_text(encoding="utf-8"))
    assert read_ignores('[[ignore]]\nid = "GHSA-1"\nreason = "why"\n') == {"GHSA-1": "why"}


def test_make_audit_exits_non_zero_on_a_vulnerability_and_says_which(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUDIT_STRICT", raising=False)
    audited: list[Path] = []

    def audit(lock: Path) -> dict[str, Any]:
        audited.append(lock)
        return report(CLEAN, VULNERABLE)

    assert main(["requirements.lock"], audit=audit) == 1
    assert audited == [Path("requirements.lock")]
    assert "VULNERABLE jinja2 3.1.4" in capsys.readouterr().err
    assert main(["requirements.lock"], audit=lambda _: report(CLEAN)) == 0


def test_make_audit_refuses_an_ignore_list_without_reasons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ignore_file = tmp_path / "audit-ignore.toml"
    ignore_file.write_text('[[ignore]]\nid = "GHSA-q2x7-8rv6-6q7h"\n', encoding="utf-8")
    code = main(["requirements.lock"], audit=lambda _: report(VULNERABLE), ignore_file=ignore_file)
    assert code == 1
    assert "needs exactly `id` and `reason`" in capsys.readouterr().err


def test_strict_mode_comes_from_the_environment_cloud_build_sets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AUDIT_STRICT", "1")
    assert main(["requirements.lock"], audit=lambda _: report(UNREACHABLE)) == 1
    monkeypatch.setenv("AUDIT_STRICT", "0")
    assert main(["requirements.lock"], audit=lambda _: report(UNREACHABLE)) == 0
