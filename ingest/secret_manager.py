"""`SecretManagerSecrets`: the SecretStore port over Google Secret Manager."""

from __future__ import annotations

import importlib
from typing import Any


class SecretManagerSecrets:
    def __init__(self, project: str, client: Any = None) -> None:
        self._project = project
        if client is None:
            # Imported by name, not statically: when mypy follows google.cloud.secretmanager it
            # re-reads the google.cloud namespace and loses google.cloud.pubsub_v1 everywhere.
            secretmanager = importlib.import_module("google.cloud.secretmanager")
            client = secretmanager.SecretManagerServiceClient()
        self._client = client
        self._payloads: dict[str, str] = {}

    def secret_path(self, secret_id: str) -> str:
        if secret_id.startswith("projects/"):
            return secret_id
        return f"projects/{self._project}/secrets/{secret_id}"

    def add_version(self, secret_id: str, payload: bytes) -> str:
        version = self._client.add_secret_version(
            request={"parent": self.secret_path(secret_id), "payload": {"data": payload}}
        )
        name: str = version.name
        return name

    def enabled_values(self, secret_id: str) -> list[str]:
        """Every ENABLED version's payload (the webhook verifies against all of them)."""
        versions = self._client.list_secret_versions(
            request={"parent": self.secret_path(secret_id), "filter": "state:ENABLED"}
        )
        values: list[str] = []
        for version in versions:
            if version.name not in self._payloads:
                # Versions are immutable: read each once, then only list.
                response = self._client.access_secret_version(request={"name": version.name})
                self._payloads[version.name] = response.payload.data.decode("utf-8")
            values.append(self._payloads[version.name])
        return values
