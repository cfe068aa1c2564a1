"""`SecretManagerSecrets`: the SecretStore port over Google Secret Manager."""

from __future__ import annotations

from typing import Any


class SecretManagerSecrets:
    def __init__(self, project: str, client: Any = None) -> None:
        from google.cloud import secretmanager

        self._project = project
        self._client = client or secretmanager.SecretManagerServiceClient()

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
