"""The image's own install and command, with the environment Terraform gives each service,
answer /healthz.

No Docker engine here, so the Dockerfile's deps stage runs its exact RUN (venv + pip install
--require-hashes from requirements.lock, nothing else) into a clean venv, in a directory holding
only what the stage COPYs; then the ENTRYPOINT + CMD (or the service's Terraform `args`) runs
from that venv, from the repository root (the image's WORKDIR /app), with the Dockerfile's ENV
and the Terraform env (example tfvars; fake secret values). It listens on 127.0.0.1 (HOST) on a
free port, as Cloud Run would set PORT. Pub/Sub points at a port where nothing listens: /healthz
must not need it, and start-up must not block on it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from packaging.utils import canonicalize_name

from devstack import processes
from tests.infra import dockerfile, lockfile
from tests.infra.terraform_model import ROOT, Evaluator, container, env_of, load, load_tfvars

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def image_venv_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The image's /opt/venv/bin, built by the Dockerfile's own deps-stage RUN."""
    stage = dockerfile.stages()[0]
    build = tmp_path_factory.mktemp("build")
    for args in stage.all("COPY"):
        *sources, _ = args.split()
        for source in sources:
            shutil.copy(ROOT / source, build / source)
    venv = tmp_path_factory.mktemp("image") / "venv"
    (run,) = stage.all("RUN")
    assert "/opt/venv" in run and "--require-hashes" in run
    env = {**os.environ, **stage.env()}
    # `python` is the interpreter of this venv; `python -m venv` makes a clean one from its base.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    done = subprocess.run(
        ["bash", "-ec", run.replace("/opt/venv", str(venv))],
        cwd=build,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"the image's install failed:\n{done.stdout}\n{done.stderr}"
    return venv / "bin"


def test_the_image_venv_holds_exactly_the_runtime_lock(image_venv_bin: Path) -> None:
    """Nothing more (not even the venv's seeded pip and setuptools): what ships is what was
    audited."""
    listed = subprocess.run(
        [str(image_venv_bin / "python"), "-I", "-c", LIST_DISTRIBUTIONS],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {canonicalize_name(name): v for name, v in json.loads(listed.stdout).items()}
    locked = {name: pin.version for name, pin in lockfile.read(lockfile.RUNTIME_LOCK).items()}
    assert installed == locked


LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m, json; "
    "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
)


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


def service_env(service: str, image_bin: Path) -> dict[str, str]:
    tf = load()
    evaluator = Evaluator(tf, load_tfvars())
    venv_bin = str(image_bin)
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


def image_argv(service: str, image_bin: Path) -> list[str]:
    image = dockerfile.final()
    box = container(load().resource("google_cloud_run_v2_service", service))
    argv = image.exec_form("ENTRYPOINT") + list(box.get("args") or image.exec_form("CMD"))
    argv[0] = str(image_bin / argv[0])
    return argv


@pytest.mark.parametrize("service", ["ingest", "writer"])
def test_the_image_command_with_the_terraform_env_answers_healthz(
    service: str, tmp_path: Path, image_venv_bin: Path
) -> None:
    env = service_env(service, image_venv_bin)
    env["GOOGLE_APPLICATION_CREDENTIALS"] = str(throwaway_credentials(tmp_path))
    assert "PUSH_AUTH" not in env  # production verifies push tokens
    url = f"http://127.0.0.1:{env['PORT']}"
    running = processes.start(
        service, image_argv(service, image_venv_bin), url, env, tmp_path, cwd=ROOT
    )
    try:
        processes.wait_http(running, "/healthz", timeout=60)
        response = requests.get(f"{url}/healthz", timeout=5)
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "service": service}
    finally:
        running.stop()
    assert not running.running()
