"""extract.py reads cdktf's generated JavaScript and jsii types as they are laid out (a sample
in that layout here: the real wheel is 50 MB and only needed to regenerate the snapshot)."""

from __future__ import annotations

from typing import Any

from tests.infra.provider_schema.extract import Module, module_dir

JS = """\
class Thing extends cdktf.TerraformResource {
    synthesizeHclAttributes() {
        const attrs = {
            name: {
                value: cdktf.stringToHclTerraform(this._name),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            rule: {
                value: cdktf.listMapperHcl(thingRuleToHclTerraform, true)(this._rule.internalValue),
                isBlock: true,
                type: "list",
                storageClassType: "ThingRuleList",
            },
        };
        return attrs;
    }
}
Thing.tfResourceType = "google_thing";
function thingRuleToHclTerraform(struct) {
    const attrs = {
        limits: {
            value: cdktf.hashMapperHcl(cdktf.stringToHclTerraform)(struct.limits),
            isBlock: false,
            type: "map",
            storageClassType: "stringMap",
        },
        probe: {
            value: thingRuleProbeToHclTerraform(struct.probe),
            isBlock: true,
            type: "list",
            storageClassType: "ThingRuleProbeList",
        },
    };
    return attrs;
}
class ThingRuleList extends cdktf.ComplexList {
}
function thingRuleProbeToHclTerraform(struct) {
    const attrs = {
        port: {
            value: cdktf.numberToHclTerraform(struct.port),
            isBlock: false,
            type: "simple",
            storageClassType: "number",
        },
    };
    return attrs;
}
"""


def props(**optional: bool) -> dict[str, Any]:
    return {"properties": [{"name": n, "optional": o} for n, o in optional.items()]}


TYPES = {
    "@cdktf/provider-google.thing.ThingConfig": props(name=False, rule=True),
    "@cdktf/provider-google.thing.ThingRule": props(limits=True, probe=False),
    "@cdktf/provider-google.thing.ThingRuleProbe": props(port=False),
}


def test_blocks_attributes_required_and_repeatable_are_read_from_the_generated_code() -> None:
    schema = Module(TYPES, JS, "thing", "Thing").top()
    assert schema["attributes"] == {"name": {"required": True, "type": "simple"}}
    rule = schema["blocks"]["rule"]
    assert (rule["required"], rule["max_items"], rule["nesting"]) == (False, None, "list")
    assert rule["block"]["attributes"] == {"limits": {"required": False, "type": "map"}}
    probe = rule["block"]["blocks"]["probe"]
    # no ThingRuleProbeList class: a single block
    assert (probe["required"], probe["max_items"]) == (True, 1)
    assert probe["block"] == {
        "attributes": {"port": {"required": True, "type": "simple"}},
        "blocks": {},
    }


def test_resource_and_data_types_map_to_cdktfs_directories() -> None:
    assert module_dir("resource", "google_cloud_run_v2_service") == "cloud-run-v2-service"
    assert module_dir("data", "google_project") == "data-google-project"
