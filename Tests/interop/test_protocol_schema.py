"""The wire protocol's JSON Schema and its examples (protocol/ at the repo root).

Checks that the schema is itself a valid draft 2020-12 schema, that every worked
example in protocol/examples validates against the definition for its direction and
role, that every message type of the schema appears in some example, and that every
case of protocol/invalid-messages.json is refused by the schema. Needs no server.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

PROTOCOL = Path(__file__).resolve().parents[2] / "protocol"
SCHEMA = json.loads((PROTOCOL / "switchboard.v1.schema.json").read_text(encoding="utf-8"))
EXAMPLES = sorted((PROTOCOL / "examples").glob("*.json"))
INVALID = json.loads((PROTOCOL / "invalid-messages.json").read_text(encoding="utf-8"))

# The definition a message is checked against, by who sends it.
CLIENT_DEFS = {"customer": "customer_message", "agent": "agent_message", "supervisor": "supervisor_message"}
ROLES = set(CLIENT_DEFS)


def validator_for(definition: str) -> Draft202012Validator:
    registry = Registry().with_resource(SCHEMA["$id"], Resource.from_contents(SCHEMA))
    return Draft202012Validator({"$ref": f"{SCHEMA['$id']}#/$defs/{definition}"}, registry=registry)


VALIDATORS = {name: validator_for(name) for name in [*CLIENT_DEFS.values(), "server_message"]}


def strict_load(text: str):
    """json.loads that refuses duplicate keys and NaN/Infinity, as the server does."""
    def pairs(items):
        keys = [k for k, _ in items]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate key")
        return dict(items)

    def constant(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)


def steps(path: Path):
    """(definition, message, where) for every message in an example file.

    `customer.x.json` is a message a customer sends (likewise agent, supervisor);
    `server.x.json` one the server sends; `conversation.x.json` an array of steps
    `{"from": role, "message": ...}` (client to server) or `{"to": role, "message": ...}`.
    """
    doc = strict_load(path.read_text(encoding="utf-8"))
    kind = path.name.split(".", 1)[0]
    if kind in CLIENT_DEFS:
        yield CLIENT_DEFS[kind], doc, path.name
    elif kind == "server":
        yield "server_message", doc, path.name
    elif kind == "conversation":
        assert isinstance(doc, list) and doc, f"{path.name}: a conversation is a non-empty array"
        for i, step in enumerate(doc):
            where = f"{path.name}[{i}]"
            assert set(step) in ({"from", "message"}, {"to", "message"}), f"{where}: {sorted(step)}"
            role = step.get("from") or step.get("to")
            assert role in ROLES, f"{where}: unknown role {role!r}"
            yield (CLIENT_DEFS[role] if "from" in step else "server_message"), step["message"], where
    else:
        pytest.fail(f"{path.name}: name must start with customer., agent., supervisor., server. or conversation.")


def test_schema_is_valid_draft_2020_12():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(SCHEMA)


def test_every_message_definition_forbids_unknown_fields_and_fixes_its_type():
    for union in [*CLIENT_DEFS.values(), "server_message", "conversation_event"]:
        for ref in SCHEMA["$defs"][union]["oneOf"]:
            name = ref["$ref"].rsplit("/", 1)[1]
            d = SCHEMA["$defs"][name]
            if "oneOf" in d and all("$ref" in r for r in d["oneOf"]):
                continue  # a nested union (conversation_event)
            assert d.get("additionalProperties") is False, name
            assert "const" in d["properties"]["type"], name
            assert "type" in d["required"], name


def test_every_string_is_bounded():
    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "string":
                bounded = "maxLength" in node or "enum" in node or re.search(r"\{\d+,\d+\}\$$", node.get("pattern", ""))
                assert bounded, f"unbounded string at {where}"
            if node.get("type") == "array":
                assert "maxItems" in node, f"unbounded array at {where}"
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")
    walk(SCHEMA, "#")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_valid(path: Path):
    for definition, message, where in steps(path):
        errors = sorted(VALIDATORS[definition].iter_errors(message), key=lambda e: list(e.path))
        assert not errors, f"{where} is not a valid {definition}: " + "; ".join(e.message for e in errors[:3])


def message_types(definition: str) -> set[str]:
    """The `type` constants a union definition admits (following nested unions)."""
    d = SCHEMA["$defs"][definition]
    if "properties" in d:
        return {d["properties"]["type"]["const"]}
    return set().union(*(message_types(r["$ref"].rsplit("/", 1)[1]) for r in d["oneOf"]))


def test_every_message_type_has_an_example():
    seen: dict[str, set[str]] = {name: set() for name in VALIDATORS}
    for path in EXAMPLES:
        for definition, message, _ in steps(path):
            seen[definition].add(message["type"])
    for definition in VALIDATORS:
        missing = message_types(definition) - seen[definition]
        assert not missing, f"{definition}: no example of {sorted(missing)}"


def test_every_error_code_is_in_the_readme_table():
    readme = (PROTOCOL / "README.md").read_text(encoding="utf-8")
    for code in SCHEMA["$defs"]["error_code"]["enum"]:
        assert re.search(rf"^\| `{code}` \|", readme, re.M), f"README.md has no table row for {code}"


@pytest.mark.parametrize("case", INVALID, ids=lambda c: f"{c['role']}: {c['why']}")
def test_invalid_message_is_refused(case):
    assert case["code"] in SCHEMA["$defs"]["error_code"]["enum"]
    if "raw" in case:
        assert case["code"] == "invalid_json"
        try:
            value = strict_load(case["raw"])
        except ValueError:
            return  # not JSON: refused before the schema
        # Still parsed: only what Python's json accepts and the server does not.
        assert isinstance(value, dict) is False or re.search(r"\\ud[89ab]|\[{30}", case["raw"]), case["why"]
        return
    errors = list(VALIDATORS[CLIENT_DEFS[case["role"]]].iter_errors(case["message"]))
    assert errors, f"the schema accepts: {case['why']}"
