"""The deploy-on-push trigger: cloudbuild.yaml, run as bridge-build, on pushes to the branch,
created only once the team has linked the repository in the console."""

from __future__ import annotations

import re

from tests.infra.terraform_model import load


def test_the_trigger_runs_cloudbuild_yaml_as_the_build_account_on_pushes_to_the_branch():
    tf = load()
    trigger = tf.resource("google_cloudbuild_trigger", "deploy_on_push")
    assert trigger["count"] == '${var.build_repository == "" ? 0 : 1}'
    assert trigger["filename"] == "cloudbuild.yaml"
    assert trigger["service_account"] == "${google_service_account.build.id}"
    assert trigger["location"] == "${var.region}"
    assert trigger["substitutions"] == {"_REGION": "${var.region}"}
    [event] = trigger["repository_event_config"]
    assert event["repository"] == "${var.build_repository}"
    [push] = event["push"]
    assert push["branch"] == "^${var.build_branch}$"


def test_the_repository_variable_takes_only_a_2nd_gen_repository_name_or_nothing():
    tf = load()
    [validation] = tf.variables["build_repository"]["validation"]
    pattern = re.search(r'regex\("(.+?)", var\.build_repository', validation["condition"])
    assert pattern
    regex = pattern.group(1).encode().decode("unicode_escape")
    ok = "projects/p/locations/europe-west1/connections/github/repositories/bridge"
    assert re.search(regex, ok)
    assert not re.search(regex, "github.com/acme/bridge")
    assert tf.variables["build_repository"]["default"] == ""
