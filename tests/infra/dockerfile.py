"""The Dockerfile as data: instructions per stage, ENV of the final stage, ENTRYPOINT and CMD."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from tests.infra.terraform_model import ROOT

DOCKERFILE = ROOT / "Dockerfile"


@dataclass
class Stage:
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]

    def env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for args in self.all("ENV"):
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                env[key] = value
        return env

    def exec_form(self, keyword: str) -> list[str]:
        values = self.all(keyword)
        assert values, f"no {keyword}"
        parsed = json.loads(values[-1])
        assert isinstance(parsed, list) and all(isinstance(p, str) for p in parsed)
        return parsed


def instructions(text: str) -> list[tuple[str, str]]:
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    out = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        out.append((keyword.upper(), args.strip()))
    return out


def stages(path: Path = DOCKERFILE) -> list[Stage]:
    result: list[Stage] = []
    for keyword, args in instructions(path.read_text(encoding="utf-8")):
        if keyword == "FROM":
            result.append(Stage(base=args.split()[0]))
        else:
            assert result, "instruction before FROM"
            result[-1].instructions.append((keyword, args))
    return result


def final(path: Path = DOCKERFILE) -> Stage:
    return stages(path)[-1]


def lock_install(stage: Stage) -> str:
    """The pip command of a stage's RUN that installs requirements.lock (one `&&` part)."""
    commands = [
        part.strip()
        for run in stage.all("RUN")
        for part in run.split("&&")
        if "pip install" in part
    ]
    assert len(commands) == 1, commands
    return commands[0]
