"""The Terraform configuration as data (python-hcl2), plus a tiny evaluator for literal values.

python-hcl2 keeps HCL's quotes on string literals and labels (`"\"ingest\""`), writes
expressions as `${...}` and adds `__is_block__` / `__comments__` keys; `normalize` drops the
quotes and those keys, so a literal reads `ingest` and a reference reads
`${google_service_account.push.email}`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = ROOT / "terraform"
EXAMPLE_TFVARS = TERRAFORM_DIR / "terraform.tfvars.example"


def normalize(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            normalize_label(k): normalize(v) for k, v in value.items() if not k.startswith("__")
        }
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return json.loads(value) if "\\" in value else value[1:-1]
    return value


def normalize_label(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


@dataclass
class Terraform:
    """The top-level blocks of a directory of .tf files that the tests read (not `data`), keyed
    the way Terraform addresses them."""

    resources: dict[tuple[str, str], dict[str, Any]]
    variables: dict[str, dict[str, Any]]
    locals: dict[str, Any]
    outputs: dict[str, dict[str, Any]]
    terraform: list[dict[str, Any]]

    def resource(self, type_: str, name: str) -> dict[str, Any]:
        return self.resources[(type_, name)]

    def of_type(self, type_: str) -> dict[str, dict[str, Any]]:
        return {name: body for (t, name), body in self.resources.items() if t == type_}


def load(directory: Path = TERRAFORM_DIR) -> Terraform:
    tf = Terraform({}, {}, {}, {}, [])
    for path in sorted(directory.glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            parsed = normalize(hcl2.load(handle))
        for block in parsed.get("resource", []):
            for type_, named in block.items():
                for name, body in named.items():
                    key = (type_, name)
                    assert key not in tf.resources, f"{type_}.{name} declared twice"
                    tf.resources[key] = body
        for block in parsed.get("variable", []):
            tf.variables.update(block)
        for block in parsed.get("locals", []):
            tf.locals.update(block)
        for block in parsed.get("output", []):
            tf.outputs.update(block)
        tf.terraform.extend(parsed.get("terraform", []))
    return tf


def load_tfvars(path: Path = EXAMPLE_TFVARS) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return dict(normalize(hcl2.load(handle)))


def one(blocks: Any) -> dict[str, Any]:
    """A nested block that must appear exactly once (hcl2 gives every block as a list)."""
    assert isinstance(blocks, list) and len(blocks) == 1, f"expected one block, got {blocks!r}"
    block = blocks[0]
    assert isinstance(block, dict)
    return block


def container(service: dict[str, Any]) -> dict[str, Any]:
    return one(one(service["template"])["containers"])


def env_of(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Container env by name: each entry is the env block (with `value` or `value_source`)."""
    return {entry["name"]: entry for entry in container(service).get("env", [])}


class Evaluator:
    """Evaluates the few expression shapes the services' env uses, for the image start test.

    Anything else raises, so a new shape fails the test instead of passing a wrong value.
    """

    def __init__(self, tf: Terraform, tfvars: dict[str, Any]) -> None:
        self.tf = tf
        self.vars = {
            name: tfvars.get(name, body.get("default")) for name, body in tf.variables.items()
        }

    def value(self, expression: Any) -> Any:
        if not isinstance(expression, str):
            return expression
        whole = re.fullmatch(r"\$\{(.+)\}", expression)
        if whole and "${" not in whole.group(1):
            return self.expr(whole.group(1).strip())
        return re.sub(r"\$\{([^}]+)\}", lambda m: str(self.expr(m.group(1).strip())), expression)

    def expr(self, text: str) -> Any:
        join = re.fullmatch(r'join\("([^"]*)",\s*(.+)\)', text)
        if join:
            return join.group(1).join(str(v) for v in self.expr(join.group(2)))
        tostring = re.fullmatch(r"tostring\((.+)\)", text)
        if tostring:
            return str(self.expr(tostring.group(1).strip()))
        floor = re.fullmatch(r"floor\((\S+)\s*/\s*(\S+)\)", text)
        if floor:
            return int(self.expr(floor.group(1)) // self.expr(floor.group(2)))
        if re.fullmatch(r"\d+", text):
            return int(text)
        product = re.fullmatch(r"(\S+)\s*\*\s*(\S+)", text)
        if product:
            return self.expr(product.group(1)) * self.expr(product.group(2))
        parts = text.split(".")
        if parts[0] == "var" and len(parts) == 2:
            value = self.vars[parts[1]]
            if value is None:
                raise KeyError(f"variable {parts[1]} has no value in the example tfvars")
            return value
        if parts[0] == "local" and len(parts) == 2:
            return self.value(self.tf.locals[parts[1]])
        if parts[0] == "data" and parts[1:3] == ["google_project", "this"] and parts[3] == "number":
            return "123456789012"
        if len(parts) == 3 and (parts[0], parts[1]) in self.tf.resources:
            return self.attribute(parts[0], parts[1], parts[2])
        raise ValueError(f"cannot evaluate {text!r} offline")

    def attribute(self, type_: str, name: str, attribute: str) -> Any:
        body = self.tf.resource(type_, name)
        if type_ == "google_service_account" and attribute == "email":
            project = self.vars["project_id"]
            return f"{self.value(body['account_id'])}@{project}.iam.gserviceaccount.com"
        if type_ == "google_secret_manager_secret" and attribute == "id":
            project = self.vars["project_id"]
            return f"projects/{project}/secrets/{self.value(body['secret_id'])}"
        if attribute in ("name", "secret_id") and attribute in body:
            return self.value(body[attribute])
        if attribute == "name" and "secret_id" in body:
            return self.value(body["secret_id"])
        raise ValueError(f"cannot evaluate {type_}.{name}.{attribute} offline")
