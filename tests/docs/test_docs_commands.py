"""The docs only show commands that exist and links that resolve.

Every command shown in a code block of README.md or docs/*.md (`python -m …`, `.venv/bin/python
-m …`, `make …`, with or without leading VAR=value assignments) is run here: a module's
subcommand with `--help` (it must exit 0), a make target with `make -n`. Renaming a command or
a target without updating the docs fails this test. Commands of other tools (stripe, gcloud,
terraform, curl) are not ours to check.
"""

from __future__ import annotations

import functools
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMAND_DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK_DOCS = [*COMMAND_DOCS, ROOT / "wix" / "README.md"]

_FENCE = re.compile(r"^\s*```")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=\S*")
# [text](target) and [text]: target; images too. Targets with a scheme or only an anchor are
# not files.
_INLINE_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)", re.IGNORECASE)
_INLINE_CODE = re.compile(r"`([^`]+)`")
_INLINE_COMMAND = re.compile(r"(?:python3? |\.venv/bin/python )-m \w|make [a-z]")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")


def split_fences(text: str) -> tuple[list[str], list[str]]:
    """(lines inside ``` code blocks, lines outside them); the fence lines themselves in neither."""
    code: list[str] = []
    prose: list[str] = []
    inside = False
    for line in text.splitlines():
        if _FENCE.match(line):
            inside = not inside
            continue
        (code if inside else prose).append(line)
    return code, prose


def code_block_lines(text: str) -> list[str]:
    return split_fences(text)[0]


def prose_lines(text: str) -> list[str]:
    """Lines outside code blocks: links and headings inside them are examples."""
    return split_fences(text)[1]


def shown_command(line: str) -> tuple[str, ...] | None:
    """('python', module, subcommand-or-'') or ('make', target); None for other lines."""
    text = line.split(" #", 1)[0].strip().lstrip("$").strip()
    if not text:
        return None
    try:
        words = shlex.split(text)
    except ValueError:
        return None
    while words and _ASSIGNMENT.fullmatch(words[0]):
        words = words[1:]
    if not words:
        return None
    if words[0] == "make":
        targets = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        return ("make", targets[0] if targets else "")
    if words[0] in ("python", "python3", ".venv/bin/python") and words[1:2] == ["-m"]:
        if len(words) < 3:
            return None
        # The word right after the module is its subcommand, unless it is an option.
        sub = words[3] if len(words) > 3 and not words[3].startswith("-") else ""
        return ("python", words[2], sub)
    return None


def inline_commands(text: str) -> list[str]:
    """`python -m …` and `make …` written inline in prose and tables."""
    spans = []
    for line in prose_lines(text):
        spans += [span for span in _INLINE_CODE.findall(line) if _INLINE_COMMAND.match(span)]
    return spans


def commands_in(path: Path) -> set[tuple[str, ...]]:
    text = path.read_text(encoding="utf-8")
    found = set()
    for line in code_block_lines(text) + inline_commands(text):
        command = shown_command(line)
        if command is not None:
            found.add(command)
    return found


def all_commands() -> list[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for doc in COMMAND_DOCS:
        found |= commands_in(doc)
    return sorted(found)


def relative_links(path: Path) -> list[str]:
    body = "\n".join(prose_lines(path.read_text(encoding="utf-8")))
    targets = _INLINE_LINK.findall(body) + _REFERENCE_LINK.findall(body)
    return [t for t in targets if not _EXTERNAL.match(t)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@functools.cache  # every link into a file asks again; the docs do not change during a run
def anchors(path: Path) -> frozenset[str]:
    found: set[str] = set()
    text = path.read_text(encoding="utf-8")
    for line in prose_lines(text):
        heading = _HEADING.match(line)
        if heading:
            found.add(slug(heading.group(1)))
    found.update(_HTML_ANCHOR.findall(text))
    return frozenset(found)


# -- the extraction itself, as a table ------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("make run     # the whole stack", ("make", "run")),
        ("$ make send", ("make", "send")),
        ("STRIPE_WEBHOOK_SECRET=whsec_… STRIPE_SECRET_KEY=sk_test_… make run", ("make", "run")),
        ("python -m ingest reconcile --since 24h", ("python", "ingest", "reconcile")),
        (".venv/bin/python -m writer redrive --max 100", ("python", "writer", "redrive")),
        ("python -m ingest", ("python", "ingest", "")),
        (
            "GOOGLE_CLOUD_PROJECT=p python -m ingest register-webhook --url https://x/webhooks/stripe",
            ("python", "ingest", "register-webhook"),
        ),
        ("stripe listen --forward-to localhost:8080/webhooks/stripe", None),
        ("gcloud pubsub subscriptions pull stripe-payments-dead-letter-sub", None),
        ("# a comment", None),
    ],
)
def test_a_shown_command_is_recognised_with_its_subcommand(
    line: str, expected: tuple[str, ...] | None
) -> None:
    assert shown_command(line) == expected


def test_commands_count_in_code_blocks_and_inline_code_but_not_in_plain_prose() -> None:
    text = (
        "make prose and `make send` inline\n```sh\nmake run\n```\n"
        "| `python -m writer redrive [--max N]` | `gcloud run` |\npython -m ingest plain\n"
    )
    assert code_block_lines(text) == ["make run"]
    assert inline_commands(text) == ["make send", "python -m writer redrive [--max N]"]


# -- the docs ------------------------------------------------------------------------------


def test_the_readme_shows_the_two_commands_first() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = "\n".join(code_block_lines(readme.split("## Configuration")[0]))
    assert "make run" in first_block
    assert "make test" in first_block


def test_the_docs_show_the_operator_commands() -> None:
    shown = set(all_commands())
    for command in [
        ("python", "ingest", "reconcile"),
        ("python", "ingest", "register-webhook"),
        ("python", "writer", "setup-collection"),
        ("python", "writer", "redrive"),
        ("python", "bridge", "doctor"),
        ("python", "bridge", "smoke"),
        ("make", "run"),
        ("make", "test"),
        ("make", "send"),
    ]:
        assert command in shown, f"no doc shows {' '.join(command)}"


@pytest.mark.parametrize("command", all_commands(), ids=lambda c: " ".join(c).strip())
def test_every_command_the_docs_show_exists(command: tuple[str, ...]) -> None:
    if command[0] == "make":
        argv = ["make", "-n", command[1]] if command[1] else ["make", "-n"]
    else:
        argv = [sys.executable, "-m", command[1], *([command[2]] if command[2] else []), "--help"]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, (
        f"`{' '.join(argv)}` exited {result.returncode}: {result.stderr.strip()[-500:]}"
    )
    if command[0] == "python":
        assert "usage:" in result.stdout


@pytest.mark.parametrize("doc", LINK_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file_that_exists(doc: Path) -> None:
    if not doc.exists():
        pytest.skip(f"{doc.relative_to(ROOT)} does not exist yet")
    broken = []
    for target in relative_links(doc):
        path, _, anchor = target.partition("#")
        linked = (doc.parent / path) if path else doc
        if not linked.exists() or (
            anchor and linked.suffix == ".md" and anchor not in anchors(linked)
        ):
            broken.append(target)
    assert not broken, f"{doc.relative_to(ROOT)} links to missing files or headings: {broken}"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("3. The collection", "3-the-collection"),
        (
            '"No signatures found matching the expected signature"',
            "no-signatures-found-matching-the-expected-signature",
        ),
        ("Wix errors: WDE0027, WDE0025, WDE0014, 429", "wix-errors-wde0027-wde0025-wde0014-429"),
        (
            "400s or a disabled endpoint in Stripe's dashboard",
            "400s-or-a-disabled-endpoint-in-stripes-dashboard",
        ),
        ("Alert: `make run` fails", "alert-make-run-fails"),
    ],
)
def test_a_heading_gets_githubs_anchor(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


_ALERT_POLICY = re.compile(
    r'resource\s+"google_monitoring_alert_policy"\s+"\w+"\s*\{\s*display_name\s*=\s*"([^"]+)"'
)


def test_the_runbook_has_a_section_for_every_terraform_alert() -> None:
    names = [
        name
        for tf in sorted((ROOT / "terraform").glob("*.tf"))
        for name in _ALERT_POLICY.findall(tf.read_text(encoding="utf-8"))
    ]
    assert names, "no google_monitoring_alert_policy found in terraform/"
    runbook = (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")
    missing = [name for name in names if f'## Alert: "{name}"' not in runbook]
    assert not missing, f"docs/runbook.md has no section for the alerts {missing}"
