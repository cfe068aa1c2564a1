"""requirements*.lock as data: uv's `pip compile --generate-hashes` output, one Pin per package."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.infra.terraform_model import ROOT

RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
# How uv names the project in a `# via` line.
PROJECT_VIA = re.compile(r"^[\w.-]+ \(pyproject\.toml\)$")
PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)(?:\s*;\s*(?P<marker>[^\\]+?))?\s*\\?$"
)


@dataclass
class Pin:
    name: str
    version: str
    marker: str | None
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)

    @property
    def direct(self) -> bool:
        """Pinned because pyproject.toml asks for it (not only as another package's need)."""
        return any(PROJECT_VIA.match(v) for v in self.via)


def parse(text: str) -> dict[str, Pin]:
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    in_via = False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and current is None):
            continue
        if not line.startswith((" ", "#")):
            match = PIN.match(stripped)
            assert match, f"not a hashed pin: {line!r}"
            current = Pin(canonicalize_name(match["name"]), match["version"], match["marker"])
            assert current.name not in pins, f"{current.name} pinned twice"
            pins[current.name] = current
            in_via = False
        elif stripped.startswith("--hash="):
            assert current is not None
            current.hashes.append(stripped.removeprefix("--hash=").rstrip(" \\"))
        elif stripped == "# via":
            in_via = True
        elif stripped.startswith("# via "):
            assert current is not None
            current.via.append(stripped.removeprefix("# via "))
            in_via = False
        elif in_via and stripped.startswith("#   "):
            assert current is not None
            current.via.append(stripped.removeprefix("#   "))
    return pins


def read(path: Path) -> dict[str, Pin]:
    return parse(path.read_text(encoding="utf-8"))


def pyproject_requirements(*extras: str) -> list[Requirement]:
    """The project's runtime requirements, plus those of the named extras."""
    with (ROOT / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def problems(requirements: list[Requirement], pins: dict[str, Pin], lock_name: str) -> list[str]:
    """Where a lock and the requirements it was compiled from disagree: each requirement must be
    pinned within its range, and each pin that claims to be there for pyproject.toml must still
    be asked for by it. Run `make lock` to fix any of them."""
    found: list[str] = []
    wanted = {canonicalize_name(r.name): r for r in requirements}
    for name, requirement in wanted.items():
        pin = pins.get(name)
        if pin is None:
            found.append(f"{requirement} is in pyproject.toml but not pinned in {lock_name}")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            found.append(f"{lock_name} pins {name}=={pin.version}, outside {requirement}")
    for pin in pins.values():
        if pin.direct and pin.name not in wanted:
            found.append(f"{lock_name} pins {pin.name} for pyproject.toml, which no longer asks")
        if not pin.hashes:
            found.append(f"{lock_name} pins {pin.name} without a hash")
        reasons = [v for v in pin.via if PROJECT_VIA.match(v) or canonicalize_name(v) in pins]
        if not reasons:
            found.append(f"{lock_name} pins {pin.name}, which nothing in it needs ({pin.via})")
    return found
