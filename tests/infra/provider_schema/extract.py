"""Regenerates google-6.50.0.json: the hashicorp/google provider's schema for the resource and
data types terraform/*.tf uses (and the provider block), read offline from PyPI.

The provider binary cannot be downloaded here, but CDK for Terraform publishes its bindings on
PyPI: `cdktf-cdktf-provider-google` 16.12.1 is generated from hashicorp/google 6.50.0. Its wheel
holds the jsii assembly (`.jsii`: every config struct, each property optional or required) and the
compiled JavaScript, whose `*ToHclTerraform` functions list each struct's Terraform names with
`isBlock`, the collection type and the nested struct. Together: the schema of every attribute
and block a configuration may write (computed-only attributes are not in it, as Terraform
refuses them in configuration too).

    .venv/bin/python -m tests.infra.provider_schema.extract            # pip-downloads the wheel
    .venv/bin/python -m tests.infra.provider_schema.extract --wheel cdktf_cdktf_provider_google-16.12.1-py3-none-any.whl

Run it after adding a resource or data type to terraform/, or to move to another provider
version (change PACKAGE and PROVIDER_VERSION together; see docs/deploy.md).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import hcl2

from tests.infra.terraform_model import TERRAFORM_DIR, normalize_label

PACKAGE = "cdktf-cdktf-provider-google"
PACKAGE_VERSION = "16.12.1"
PROVIDER_VERSION = "6.50.0"
SNAPSHOT = Path(__file__).with_name(f"google-{PROVIDER_VERSION}.json")
ASSEMBLY = f"cdktf_cdktf_provider_google/_jsii/provider-google@{PACKAGE_VERSION}.jsii.tgz"

# One entry of a `*ToHclTerraform` function's (or synthesizeHclAttributes') `attrs` object.
ATTR = re.compile(
    r"^\s+(?P<name>\w+): \{\n"
    r"\s+value: (?P<value>.*),\n"
    r"\s+isBlock: (?P<block>true|false),\n"
    r"\s+type: \"(?P<type>\w+)\",\n"
    r"\s+storageClassType: \"(?P<storage>\w+)\",\n"
    r"\s+\},?$",
    re.MULTILINE,
)
STRUCT_FUNCTION = re.compile(r"^function (\w+)ToHclTerraform\(struct\) \{$", re.MULTILINE)
CLASS_ATTRS = re.compile(r"^    synthesizeHclAttributes\(\) \{$", re.MULTILINE)
SOURCE_PROPERTY = re.compile(r"\((?:struct\.|this\._)(\w+)(?:\.internalValue)?\)$")


def used_types(directory: Path = TERRAFORM_DIR) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {"resource": set(), "data": set()}
    for path in sorted(directory.glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            parsed = hcl2.load(handle)
        for kind, found in used.items():
            for block in parsed.get(kind, []):
                found.update(normalize_label(type_) for type_ in block)
    return used


def attrs_after(js: str, start: int) -> list[re.Match[str]]:
    """The entries of the first `const attrs = {...};` after `start`."""
    begin = js.index("const attrs = {", start)
    indent = begin - js.rindex("\n", 0, begin) - 1
    end = js.index("\n" + " " * indent + "};", begin)
    return list(ATTR.finditer(js, begin, end + 1))


class Module:
    """One resource's (or data source's) JS file and jsii namespace."""

    def __init__(self, types: dict[str, Any], js: str, namespace: str, class_name: str):
        self.types = types
        self.js = js
        self.prefix = f"@cdktf/provider-google.{namespace}."
        self.class_name = class_name
        self.functions = {m.group(1): m.end() for m in STRUCT_FUNCTION.finditer(js)}

    def optional(self, struct: str) -> dict[str, bool]:
        found: dict[str, bool] = {}
        fqn = self.prefix + struct
        for prop in self.types[fqn].get("properties", []):
            found[prop["name"]] = bool(prop.get("optional"))
        return found

    def block(self, struct: str, entries: list[re.Match[str]]) -> dict[str, Any]:
        optional = self.optional(struct)
        attributes: dict[str, Any] = {}
        blocks: dict[str, Any] = {}
        for entry in entries:
            source = SOURCE_PROPERTY.search(entry["value"])
            assert source, f"{struct}.{entry['name']}: no source property in {entry['value']!r}"
            prop = source.group(1)
            if prop not in optional and f"{prop}Attribute" in optional:
                # jsii renames a property whose name clashes with a member of the generated
                # class (google_cloudbuild_trigger's `build` is `buildAttribute`)
                prop = f"{prop}Attribute"
            required = not optional[prop]
            if entry["block"] == "true":
                nested = re.sub(r"(List|OutputReference|Map)$", "", entry["storage"])
                blocks[entry["name"]] = {
                    "required": required,
                    # cdktf generates a `...List` class only for a block that may repeat; a block of
                    # max_items = 1 gets an OutputReference alone
                    "max_items": None if f"class {nested}List extends" in self.js else 1,
                    "nesting": entry["type"],
                    "block": self.struct(nested),
                }
            else:
                attributes[entry["name"]] = {"required": required, "type": entry["type"]}
        return {"attributes": attributes, "blocks": blocks}

    def struct(self, struct: str) -> dict[str, Any]:
        function = struct[0].lower() + struct[1:]
        return self.block(struct, attrs_after(self.js, self.functions[function]))

    def top(self) -> dict[str, Any]:
        (start,) = [m.end() for m in CLASS_ATTRS.finditer(self.js)]
        return self.block(f"{self.class_name}Config", attrs_after(self.js, start))


def module_dir(kind: str, type_: str) -> str:
    dashed = type_.removeprefix("google_").replace("_", "-")
    return f"data-google-{dashed}" if kind == "data" else dashed


def extract(wheel: Path) -> dict[str, Any]:
    used = used_types()
    with zipfile.ZipFile(wheel) as archive:
        tgz = archive.read(ASSEMBLY)
    with tarfile.open(fileobj=io.BytesIO(tgz)) as bundle:

        def text(member: str) -> str:
            handle = bundle.extractfile(f"package/{member}")
            assert handle is not None, member
            return handle.read().decode("utf-8")

        assembly = json.loads(text(".jsii"))
        assert assembly["version"] == PACKAGE_VERSION
        types = assembly["types"]
        snapshot: dict[str, Any] = {
            "provider": "registry.terraform.io/hashicorp/google",
            "version": PROVIDER_VERSION,
            "source": f"PyPI {PACKAGE}=={PACKAGE_VERSION} (jsii assembly + lib/*/index.js)",
            "regenerate": "python -m tests.infra.provider_schema.extract",
        }
        provider = Module(types, text("lib/provider/index.js"), "provider", "GoogleProvider")
        snapshot["provider_config"] = provider.top()
        for kind in ("resource", "data"):
            snapshot[kind] = {}
            for type_ in sorted(used[kind]):
                directory = module_dir(kind, type_)
                js = text(f"lib/{directory}/index.js")
                declared = re.search(r'^(\w+)\.tfResourceType = "(\w+)";$', js, re.MULTILINE)
                assert declared and declared.group(2) == type_, (type_, directory)
                class_name = declared.group(1)
                namespace = class_name[0].lower() + class_name[1:]
                snapshot[kind][type_] = Module(types, js, namespace, class_name).top()
    return snapshot


def download() -> Path:
    target = Path(tempfile.mkdtemp(prefix="provider-schema-"))
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(target),
         f"{PACKAGE}=={PACKAGE_VERSION}"],
        check=True,
    )  # fmt: skip
    (wheel,) = target.glob("*.whl")
    return wheel


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--wheel", type=Path, help=f"a downloaded {PACKAGE} {PACKAGE_VERSION} wheel"
    )
    args = parser.parse_args(argv)
    snapshot = extract(args.wheel or download())
    SNAPSHOT.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    counts = {kind: len(snapshot[kind]) for kind in ("resource", "data")}
    print(f"wrote {SNAPSHOT.name}: {counts['resource']} resource and {counts['data']} data types")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
