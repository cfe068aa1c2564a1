"""cloudbuild.yaml: test -> build -> push -> deploy, one image tagged with the build id."""

from __future__ import annotations

import shlex
from typing import Any

import pytest
import yaml

from tests.infra import dockerfile
from tests.infra.terraform_model import ROOT, load

IMAGE = "${_REGION}-docker.pkg.dev/${PROJECT_ID}/${_REPOSITORY}/bridge:${BUILD_ID}"


@pytest.fixture(scope="module")
def build() -> dict[str, Any]:
    with (ROOT / "cloudbuild.yaml").open(encoding="utf-8") as handle:
        parsed: dict[str, Any] = yaml.safe_load(handle)
    return parsed


def steps(build: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["id"]: step for step in build["steps"]}


def deploy_command(build: dict[str, Any], service: str) -> list[str]:
    """The gcloud line of a deploy step's script, split as bash would."""
    step = steps(build)[f"deploy-{service}"]
    assert step["entrypoint"] == "bash" and step["args"][0] == "-ec"
    lines = [line for line in step["args"][1].splitlines() if line.startswith("gcloud ")]
    assert len(lines) == 1, lines
    return shlex.split(lines[0])


def test_deploys_run_by_default_and_skip_only_when_told(build: dict[str, Any]) -> None:
    assert build["substitutions"]["_DEPLOY"] == "true"
    for service in ("writer", "ingest"):
        script = steps(build)[f"deploy-{service}"]["args"][1]
        guard = script.splitlines()[0]
        assert guard.startswith('if [ "${_DEPLOY}" != "true" ]; then') and "exit 0" in guard


def test_the_steps_run_test_build_push_then_deploy_each_waiting_for_the_last(
    build: dict[str, Any],
) -> None:
    ids = [step["id"] for step in build["steps"]]
    assert ids == ["test", "build", "push", "deploy-writer", "deploy-ingest", "smoke"]
    for previous, step in zip(build["steps"], build["steps"][1:], strict=False):
        # Cloud Build runs a step with waitFor ["-"] at once; each must wait for its predecessor.
        assert step.get("waitFor", [previous["id"]]) == [previous["id"]], step["id"]


def step_script(build: dict[str, Any]) -> list[str]:
    step = steps(build)["test"]
    assert step["entrypoint"] == "bash" and step["args"][0] == "-ec", "a failure must fail it"
    return [line.strip() for line in step["args"][1].splitlines() if line.strip()]


def test_the_test_step_installs_from_the_hashed_dev_lock_and_resolves_nothing(
    build: dict[str, Any],
) -> None:
    script = step_script(build)
    assert script[0].split() == [
        *[
            "python",
            "-m",
            "pip",
            "install",
            "--quiet",
            "--require-hashes",
            "-r",
            "requirements-dev.lock",
        ]
    ]
    assert script[1].split() == [
        "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "-e",
        ".",
    ]
    assert not any("[dev]" in line for line in script)


def test_the_test_step_runs_on_the_images_own_pinned_base(build: dict[str, Any]) -> None:
    (base,) = {stage.base for stage in dockerfile.stages()}
    assert steps(build)["test"]["name"] == base


def test_the_test_step_runs_lint_types_audit_schema_check_and_tests_before_the_build(
    build: dict[str, Any],
) -> None:
    script = step_script(build)
    for command in (
        "python -m ruff check .",
        "python -m ruff format --check .",
        "python -m mypy",
        "python -m tools.audit requirements.lock",
    ):
        assert command in script, command
    (pytest_line,) = [line for line in script if "pytest" in line]
    # tests/infra holds the provider-schema check and the image's install from the lock;
    # tests/unit the stand-in's SDK types.
    for suite in ("tests/unit", "tests/infra", "tests/integration"):
        assert suite in pytest_line.split(), suite
    # where the vulnerability service is reachable, a package it cannot vouch for fails
    assert "AUDIT_STRICT=1" in steps(build)["test"]["env"]


def test_build_push_and_deploy_use_one_image_tagged_with_the_build_id(
    build: dict[str, Any],
) -> None:
    s = steps(build)
    assert f"--tag={IMAGE}" in s["build"]["args"]
    assert s["push"]["args"] == ["push", IMAGE]
    for service in ("writer", "ingest"):
        args = deploy_command(build, service)
        assert args[:5] == ["gcloud", "run", "services", "update", service]
        assert f"--image={IMAGE}" in args
    assert build["images"] == [IMAGE]


def test_deploys_change_only_the_image_so_terraform_keeps_owning_the_rest(
    build: dict[str, Any],
) -> None:
    for service in ("writer", "ingest"):
        args = deploy_command(build, service)
        flags = {a.split("=")[0] for a in args if a.startswith("--")}
        assert flags == {"--region", "--image", "--quiet"}, flags


def test_the_defaults_match_the_terraform_defaults(build: dict[str, Any]) -> None:
    variables = load().variables
    assert build["substitutions"]["_REGION"] == variables["region"]["default"]
    assert build["substitutions"]["_REPOSITORY"] == variables["repository_id"]["default"]


def test_logs_go_to_cloud_logging_as_a_user_managed_build_account_requires(
    build: dict[str, Any],
) -> None:
    assert build["options"]["logging"] == "CLOUD_LOGGING_ONLY"


def test_the_optional_smoke_step_runs_bridge_smoke_after_the_deploy_only_when_asked(
    build: dict[str, Any],
) -> None:
    assert build["substitutions"]["_SMOKE"] == "false"
    step = steps(build)["smoke"]
    assert step["waitFor"] == ["deploy-ingest"]
    assert step["entrypoint"] == "bash" and step["args"][0] == "-ec"
    lines = step["args"][1].splitlines()
    guard = lines[0]
    assert guard.startswith('if [ "${_SMOKE}" != "true" ]; then') and "exit 0" in guard
    assert lines[-1] == "python -m bridge smoke"
    assert "STRIPE_MODE=test" in step["env"]
    # Bash's own $ is escaped from Cloud Build's substitutions.
    assert all("$(" not in line for line in lines if "$$(" not in line)
