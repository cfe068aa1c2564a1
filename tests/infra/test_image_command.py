"""The image's own command, with the environment Terraform gives each service, answers /healthz.

No Docker engine here, so the Dockerfile's ENTRYPOINT + CMD (or the service's Terraform `args`)
runs in this venv, from the repository root (the image's WORKDIR /app), with the Dockerfile's ENV
and the Terraform env (example tfvars; fake secret values). It listens on 127.0.0.1 (HOST) on a
free port, as Cloud Run would set PORT. Pub/Sub points at a port where nothing listens: /healthz
must not need it, and start-up must not block on it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import requests

from devstack import processes
from tests.infra import dockerfile
from tests.infra.terraform_model import ROOT, Evaluator, container, env_of, load, load_tfvars

pytestmark = pytest.mark.timeout(120)


def throwaway_credentials(directory: Path) -> Path:
    """A service-account key made up here: Cloud Run gives the services credentials through its
    metadata server; here the Google clients ingest builds at start (Secret Manager) need some.
    /healthz calls no Google API, so the key is never presented anywhere."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = directory / "throwaway-service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "my-payments-project",
                "private_key_id": "0" * 40,
                "private_key": pem,
                "client_email": "throwaway@my-payments-project.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        ),
        encoding="utf-8",
    )
    return path


def service_env(service: str) -> dict[str, str]:
    tf = load()
    evaluator = Evaluator(tf, load_tfvars())
    venv_bin = str(Path(sys.executable).parent)
    env = {"PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    for key, value in dockerfile.final().env().items():
        # Paths of the image, mapped onto this checkout and this venv.
        local = value.replace("/opt/venv/bin", venv_bin).replace("$PATH", os.environ["PATH"])
        env[key] = str(ROOT) if key == "PYTHONPATH" else local
    for name, entry in env_of(tf.resource("google_cloud_run_v2_service", service)).items():
        if "value_source" in entry:
            env[name] = f"test-only-{name.lower()}"  # Secret Manager's value in production
        else:
            env[name] = str(evaluator.value(entry["value"]))
    env["HOST"] = "127.0.0.1"
    env["PORT"] = str(processes.free_port())
    env["PUBSUB_EMULATOR_HOST"] = f"127.0.0.1:{processes.free_port()}"
    return env


def image_argv(service: str) -> list[str]:
    image = dockerfile.final()
    box = container(load().resource("google_cloud_run_v2_service", service))
    argv = image.exec_form("ENTRYPOINT") + list(box.get("args") or image.exec_form("CMD"))
    argv[0] = str(Path(sys.executable).parent / argv[0])
    return argv


@pytest.mark.parametrize("service", ["ingest", "writer"])
def test_the_image_command_with_the_terraform_env_answers_healthz(
    service: str, tmp_path: Path
) -> None:
    env = service_env(service)
    env["GOOGLE_APPLICATION_CREDENTIALS"] = str(throwaway_credentials(tmp_path))
    assert "PUSH_AUTH" not in env  # production verifies push tokens
    url = f"http://127.0.0.1:{env['PORT']}"
    running = processes.start(service, image_argv(service), url, env, tmp_path, cwd=ROOT)
    try:
        processes.wait_http(running, "/healthz", timeout=60)
        response = requests.get(f"{url}/healthz", timeout=5)
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "service": service}
    finally:
        running.stop()
    assert not running.running()
