"""The Dockerfile builds the image the Terraform runs: slim, non-root, runtime deps only."""

from __future__ import annotations

import re

from tests.infra import dockerfile
from tests.infra.terraform_model import ROOT, container, load


def test_the_image_runs_on_a_slim_python_base_pinned_by_digest() -> None:
    bases = {stage.base for stage in dockerfile.stages()}
    assert len(bases) == 1, f"both stages must share one base (the venv is copied): {bases}"
    for base in bases:
        # tag for the reader, digest for the bytes (docs/deploy.md: refreshing the base image)
        assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+@sha256:[0-9a-f]{64}", base), base


def test_the_image_runs_as_a_non_root_user() -> None:
    users = dockerfile.final().all("USER")
    assert users, "no USER: the container would run as root"
    assert users[-1] not in ("root", "0", "0:0")


def test_python_output_is_unbuffered_so_logs_reach_cloud_logging_at_once() -> None:
    assert dockerfile.final().env().get("PYTHONUNBUFFERED") == "1"


def test_only_the_runtime_lock_is_installed_and_every_file_is_checked_against_its_hash() -> None:
    runs = " ".join(run for stage in dockerfile.stages() for run in stage.all("RUN"))
    install = dockerfile.lock_install(dockerfile.stages()[0])
    assert "--require-hashes" in install and "-r requirements.lock" in install
    assert "requirements-dev.lock" not in runs and "[dev]" not in runs
    assert "pyproject.toml" not in runs, "the image must not resolve from pyproject's ranges"
    copied = " ".join(dockerfile.final().all("COPY"))
    assert "tests" not in copied and "devstack" not in copied and "bench" not in copied


def test_the_build_context_is_an_allow_list() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "the context must start from nothing (no .venv, .git, tests)"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    copied = {
        args.split()[0].rstrip("/")
        for args in dockerfile.final().all("COPY") + dockerfile.stages()[0].all("COPY")
        if not args.startswith("--from")
    }
    assert copied <= allowed, f"copied but ignored: {copied - allowed}"


def test_ingest_is_the_default_command_and_writer_overrides_only_the_args() -> None:
    image = dockerfile.final()
    entrypoint = image.exec_form("ENTRYPOINT")
    assert entrypoint == ["gunicorn", "--config", "python:servicekit.gunicorn_conf"]
    assert image.exec_form("CMD") == ["ingest.app:create_app_from_env()"]
    tf = load()
    ingest = container(tf.resource("google_cloud_run_v2_service", "ingest"))
    writer = container(tf.resource("google_cloud_run_v2_service", "writer"))
    assert "args" not in ingest and "command" not in ingest
    assert writer["args"] == ["writer.app:create_app_from_env()"] and "command" not in writer


def test_cloud_run_concurrency_equals_gunicorn_workers_times_threads() -> None:
    env = dockerfile.final().env()
    capacity = int(env["WEB_CONCURRENCY"]) * int(env["GUNICORN_THREADS"])
    declared = str(load().locals["container_concurrency"])
    match = re.fullmatch(r"\$\{(\d+) \* (\d+)\}", declared)
    assert match, f"container_concurrency should read workers * threads, not {declared!r}"
    assert int(match.group(1)) * int(match.group(2)) == capacity


def test_the_container_listens_where_cloud_run_probes() -> None:
    env = dockerfile.final().env()
    assert env.get("HOST") == "0.0.0.0"  # noqa: S104 (inside the container, behind Cloud Run)
    tf = load()
    for name in ("ingest", "writer"):
        box = container(tf.resource("google_cloud_run_v2_service", name))
        port = box["ports"][0]["container_port"]
        assert str(port) == env.get("PORT")
        for probe in ("startup_probe", "liveness_probe"):
            assert box[probe][0]["http_get"][0]["port"] == port


def test_the_writers_cloud_run_concurrency_equals_its_gunicorn_threads() -> None:
    """Group commit batches what one writer process holds: Cloud Run must send it that many."""
    tf = load()
    writer = tf.resource("google_cloud_run_v2_service", "writer")
    threads = {e["name"]: e for e in container(writer).get("env", [])}["GUNICORN_THREADS"]
    assert threads["value"] == "${tostring(local.writer_threads)}"
    assert str(tf.locals["writer_concurrency"]) == "${1 * local.writer_threads}"
    assert dockerfile.final().env()["WEB_CONCURRENCY"] == "1"
    assert (
        writer["template"][0]["max_instance_request_concurrency"] == "${local.writer_concurrency}"
    )
