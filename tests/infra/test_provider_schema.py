"""terraform/*.tf against hashicorp/google 6.50.0's own schema, offline.

The schema snapshot (tests/infra/provider_schema/google-6.50.0.json) is extracted from the
provider bindings CDK for Terraform publishes on PyPI (tests/infra/provider_schema/extract.py).
Each planted mistake below is one `terraform validate` would reject; the check must name it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.infra.provider_schema import check
from tests.infra.terraform_model import TERRAFORM_DIR, load


def all_problems(directory: Path) -> list[str]:
    return [problem for item in check.configured(directory) for problem in check.problems(item)]


def test_every_resource_data_and_provider_block_matches_the_provider_schema() -> None:
    items = list(check.configured())
    kinds = {item.kind for item in items}
    assert kinds == {"resource", "data", "provider"}, kinds
    assert len(items) > 30
    found = all_problems(TERRAFORM_DIR)
    assert not found, "\n".join(found)


def test_the_provider_constraint_allows_only_the_minor_the_snapshot_describes() -> None:
    (google,) = [
        block["required_providers"][0]["google"]
        for block in load().terraform
        if "required_providers" in block
    ]
    assert google["source"] == "hashicorp/google"
    snapshot_version = check.schema()["version"]
    major, minor, _ = snapshot_version.split(".")
    # `~> 6.50` is >= 6.50, < 7.0: what 6.50's schema can vouch for (docs/deploy.md: to 7.x).
    assert google["version"] == f"~> {major}.{minor}", google["version"]


RUN_TF = "run.tf"
PLANTED = [
    pytest.param(
        "container_port = 8080",
        "container_prot = 8080",
        "google_cloud_run_v2_service.ingest.template.containers.ports: unknown attribute or "
        "block `container_prot` (did you mean `container_port`?)",
        id="misspelt-nested-attribute",
    ),
    pytest.param(
        "            secret  = google_secret_manager_secret.stripe_secret_key.secret_id\n",
        "",
        "google_cloud_run_v2_service.ingest.template.containers.env.value_source.secret_key_ref: "
        "missing required attribute `secret`",
        id="removed-required-nested-attribute",
    ),
    pytest.param(
        '  name     = "ingest"\n',
        "",
        "google_cloud_run_v2_service.ingest: missing required attribute `name`",
        id="removed-required-attribute",
    ),
    pytest.param(
        "        limits = {",
        "        limits {",
        "google_cloud_run_v2_service.ingest.template.containers.resources: `limits` is an "
        "attribute",
        id="limits-written-as-a-block",
    ),
    pytest.param(
        "  traffic {",
        "  traffic = {",
        "google_cloud_run_v2_service.ingest: `traffic` is a block",
        id="traffic-written-as-an-attribute",
    ),
    pytest.param(
        "        cpu_idle          = true\n",
        "",
        None,  # moved, below
        id="attribute-at-the-wrong-nesting",
    ),
    pytest.param(
        "      ports {\n        container_port = 8080\n      }\n",
        "      ports {\n        container_port = 8080\n      }\n"
        "      ports {\n        container_port = 8081\n      }\n",
        "google_cloud_run_v2_service.ingest.template.containers: `ports` may appear at most 1",
        id="single-block-repeated",
    ),
    pytest.param(
        "  template {\n",
        "  templates {\n",
        "google_cloud_run_v2_service.ingest: missing required block `template`",
        id="required-block-misspelt",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), PLANTED)
def test_a_planted_mistake_is_reported_where_it_is(
    old: str, new: str, expected: str | None, tmp_path: Path
) -> None:
    # run.tf alone: the check reads each block by itself, and parsing all of terraform/ per plant
    # would cost seconds
    copy = tmp_path / "terraform"
    copy.mkdir()
    path = copy / RUN_TF
    text = (TERRAFORM_DIR / RUN_TF).read_text(encoding="utf-8")
    assert old in text, f"the plant no longer matches {RUN_TF}: {old!r}"
    text = text.replace(old, new, 1)
    if expected is None:  # cpu_idle moved from containers.resources up into containers
        text = text.replace(
            "      image = var.image\n", "      image = var.image\n      cpu_idle = true\n", 1
        )
        expected = (
            "google_cloud_run_v2_service.ingest.template.containers: unknown attribute or block "
            "`cpu_idle`"
        )
    path.write_text(text, encoding="utf-8")
    found = all_problems(copy)
    assert any(expected in problem for problem in found), "\n".join(found) or "nothing found"


def test_a_type_missing_from_the_snapshot_says_how_to_regenerate_it(tmp_path: Path) -> None:
    copy = tmp_path / "terraform"
    copy.mkdir()
    (copy / "extra.tf").write_text(
        'resource "google_compute_network" "vpc" {\n  name = "vpc"\n}\n', encoding="utf-8"
    )
    found = all_problems(copy)
    assert any(
        re.search(r"google_compute_network is not in the schema snapshot: run .*extract", p)
        for p in found
    ), found
