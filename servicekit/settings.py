"""Reading settings from the environment; what is missing or invalid stops the service, named.

A config built with `Env(environ, collect=True)` reads every setting, notes each problem and
reports them all at once from `check()`: a person fixing a deployment sees the whole list on the
first run, not one name per run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")


class SettingsError(RuntimeError):
    """One or more settings are missing or invalid; `problems` holds one line for each."""

    def __init__(self, name: str, problems: tuple[str, ...]) -> None:
        super().__init__(problems[0] if len(problems) == 1 else _several(problems))
        self.name = name
        self.problems = problems


class MissingSetting(SettingsError):
    def __init__(self, name: str, meaning: str) -> None:
        super().__init__(name, (f"missing required environment variable {name} ({meaning})",))


class InvalidSetting(SettingsError):
    def __init__(self, name: str, problem: str) -> None:
        super().__init__(name, (f"environment variable {name} is invalid: {problem}",))


class SettingsErrors(MissingSetting, InvalidSetting):
    """Several problems at once (caught by `except MissingSetting` or `InvalidSetting` alike)."""

    def __init__(self, errors: list[SettingsError]) -> None:
        problems = tuple(p for error in errors for p in error.problems)
        SettingsError.__init__(self, errors[0].name, problems)
        self.names = tuple(error.name for error in errors)


def _several(problems: tuple[str, ...]) -> str:
    lines = "\n".join(f"  - {problem}" for problem in problems)
    return f"{len(problems)} settings are missing or invalid:\n{lines}"


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None, collect: bool = False) -> None:
        self._environ = os.environ if environ is None else environ
        self._collect = collect
        self._errors: list[SettingsError] = []

    def _problem(self, error: SettingsError) -> None:
        if not self._collect:
            raise error
        self._errors.append(error)

    def check(self) -> None:
        """Raise every problem noted so far (collect mode), as one exception."""
        if len(self._errors) == 1:
            raise self._errors[0]
        if self._errors:
            raise SettingsErrors(self._errors)

    def required(self, name: str, meaning: str) -> str:
        value = self._environ.get(name, "").strip()
        if not value:
            self._problem(MissingSetting(name, meaning))
        return value

    def optional(self, name: str, default: str = "") -> str:
        value = self._environ.get(name, "").strip()
        return value or default

    def number(self, name: str, default: float) -> float:
        raw = self.optional(name)
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            self._problem(InvalidSetting(name, f"{raw!r} is not a number"))
            return default
        if value <= 0:
            self._problem(InvalidSetting(name, "must be greater than zero"))
            return default
        return value

    def csv(self, name: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in self.optional(name).split(",") if part.strip())

    def parsed(self, name: str, parse: Callable[[str], T], default: T) -> T:
        """`parse` the setting's text; an InvalidSetting it raises is noted like any other."""
        try:
            return parse(self.optional(name))
        except SettingsError as exc:
            self._problem(exc)
            return default

    def missing(self, name: str, meaning: str) -> None:
        """Note a setting as missing when the rule is more than "this one is empty"."""
        self._problem(MissingSetting(name, meaning))

    def invalid(self, name: str, problem: str) -> None:
        self._problem(InvalidSetting(name, problem))
