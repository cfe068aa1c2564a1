"""Find secrets in log files: every line of every file, as the value itself or as a JSON log
line would carry it (escaped)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    secret: str  # the secret's name, never its value
    where: str  # file:line
    line: str  # the line with the value masked


def scan(files: Iterable[Path], secrets: Mapping[str, str]) -> list[Finding]:
    forms = {
        name: {value, json.dumps(value)[1:-1]} for name, value in secrets.items() if len(value) >= 8
    }
    findings = []
    for path in files:
        for number, line in enumerate(
            path.read_text(encoding="utf-8", errors="replace").splitlines(), 1
        ):
            for name, values in forms.items():
                if any(v in line for v in values):
                    masked = line
                    for v in values:
                        masked = masked.replace(v, f"<{name}>")
                    findings.append(Finding(name, f"{path.name}:{number}", masked[:300]))
    return findings
