"""Reading settings from the environment; a missing one stops the service, naming it."""

from __future__ import annotations

import os
from collections.abc import Mapping


class MissingSetting(RuntimeError):
    def __init__(self, name: str, meaning: str) -> None:
        super().__init__(f"missing required environment variable {name} ({meaning})")
        self.name = name


class InvalidSetting(RuntimeError):
    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"environment variable {name} is invalid: {problem}")
        self.name = name


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def required(self, name: str, meaning: str) -> str:
        value = self._environ.get(name, "").strip()
        if not value:
            raise MissingSetting(name, meaning)
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
            raise InvalidSetting(name, f"{raw!r} is not a number") from None
        if value <= 0:
            raise InvalidSetting(name, "must be greater than zero")
        return value

    def csv(self, name: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in self.optional(name).split(",") if part.strip())
