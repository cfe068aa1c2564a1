"""Checks terraform/*.tf against the google provider's schema snapshot (google-6.50.0.json).

What `terraform validate` would say about names and shapes, offline: an unknown attribute or
block (a misspelling, or one put at the wrong level), a block written as an attribute
(`traffic = {...}`) or the reverse (`limits {...}`), a single block repeated, a required
attribute or block missing. Values and references are not checked (no provider here).

Works on python-hcl2's raw output, where a block is a list of dicts marked `__is_block__` and
an attribute's object value is a plain dict.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

from tests.infra.terraform_model import TERRAFORM_DIR, normalize_label

SNAPSHOT = Path(__file__).with_name("google-6.50.0.json")
# Terraform's own arguments and blocks, valid in every resource and data block.
META_ATTRIBUTES = frozenset({"count", "for_each", "depends_on", "provider"})
META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})
DATA_META_BLOCKS = frozenset({"lifecycle"})


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class Configured:
    """One `resource`, `data` or `provider "google"` block of a .tf file."""

    where: str  # e.g. run.tf: google_cloud_run_v2_service.ingest
    kind: str  # resource | data | provider
    type_: str
    body: dict[str, Any]


def configured(directory: Path = TERRAFORM_DIR) -> Iterator[Configured]:
    for path in sorted(directory.glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            parsed = hcl2.load(handle)
        for kind in ("resource", "data"):
            for block in parsed.get(kind, []):
                for quoted_type, named in block.items():
                    type_ = normalize_label(quoted_type)
                    for quoted_name, body in named.items():
                        address = f"{'data.' if kind == 'data' else ''}{type_}"
                        address += f".{normalize_label(quoted_name)}"
                        yield Configured(f"{path.name}: {address}", kind, type_, body)
        for block in parsed.get("provider", []):
            for name, body in block.items():
                if normalize_label(name) == "google":
                    yield Configured(f"{path.name}: provider google", "provider", "google", body)


def is_block(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and item.get("__is_block__") for item in value)
    )


def problems(item: Configured) -> list[str]:
    if item.kind == "provider":
        block_schema = schema()["provider_config"]
        return check_block(item.body, block_schema, item.where)
    types = schema()[item.kind]
    if item.type_ not in types:
        return [
            f"{item.where}: {item.kind} type {item.type_} is not in the schema snapshot: run "
            "`python -m tests.infra.provider_schema.extract` (docs/deploy.md)"
        ]
    meta_blocks = META_BLOCKS if item.kind == "resource" else DATA_META_BLOCKS
    return check_block(item.body, types[item.type_], item.where, META_ATTRIBUTES, meta_blocks)


def check_block(
    body: dict[str, Any],
    block_schema: dict[str, Any],
    where: str,
    meta_attributes: frozenset[str] = frozenset(),
    meta_blocks: frozenset[str] = frozenset(),
) -> list[str]:
    found: list[str] = []
    attributes: dict[str, Any] = block_schema["attributes"]
    blocks: dict[str, Any] = block_schema["blocks"]
    written: dict[str, list[dict[str, Any]]] = {}
    for key, value in body.items():
        if key.startswith("__"):
            continue
        if key == "dynamic" and is_block(value):
            for dynamic in value:
                for label, spec in dynamic.items():
                    if label.startswith("__"):
                        continue
                    name = normalize_label(label)
                    written.setdefault(name, []).extend(spec.get("content", []))
            continue
        if key in attributes or key in meta_attributes:
            if is_block(value):
                found.append(
                    f"{where}: `{key}` is an attribute: write `{key} = ...`, not a `{key} {{ }}` block"
                )
            continue
        if key in meta_blocks:
            continue
        if key in blocks:
            if not is_block(value):
                found.append(
                    f"{where}: `{key}` is a block: write `{key} {{ ... }}`, not `{key} = ...`"
                )
                continue
            written.setdefault(key, []).extend(value)
            continue
        known = sorted(set(attributes) | set(blocks))
        near = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean `{near[0]}`?)" if near else ""
        found.append(f"{where}: unknown attribute or block `{key}`{hint}")
    for name, spec in blocks.items():
        instances = written.get(name, [])
        if spec["required"] and name not in written:
            found.append(f"{where}: missing required block `{name}`")
        if spec["max_items"] is not None and len(instances) > spec["max_items"]:
            found.append(
                f"{where}: `{name}` may appear at most {spec['max_items']} time(s), "
                f"not {len(instances)}"
            )
        for instance in instances:
            found += check_block(instance, spec["block"], f"{where}.{name}")
    for name, spec in attributes.items():
        if spec["required"] and name not in body:
            found.append(f"{where}: missing required attribute `{name}`")
    return found
