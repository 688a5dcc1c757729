"""Schema renderings per backend (briefgen.llm.schemas): one pydantic model, sent the way each server needs."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field

from briefgen.errors import BriefgenError
from sample_models import Point, Summary  # noqa: F401
from briefgen.llm.schemas import RESPONSE_MODES, describe_schema, response_format_for, schema_for, schema_name




def _objects(node: object) -> list[dict]:
    found: list[dict] = []
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            found.append(node)
        for v in node.values():
            found.extend(_objects(v))
    elif isinstance(node, list):
        for v in node:
            found.extend(_objects(v))
    return found


def _keys(node: object) -> set[str]:
    if isinstance(node, dict):
        out = set(node) - {"properties"}
        for k, v in node.items():
            out |= _keys(v) if k != "properties" else set().union(*(_keys(s) for s in v.values()))
        return out
    if isinstance(node, list):
        return set().union(*(_keys(v) for v in node)) if node else set()
    return set()


def test_strict_schema_requires_every_field_and_forbids_extras() -> None:
    schema = schema_for(Summary, "json_schema_strict")
    objs = _objects(schema)
    assert len(objs) == 2  # Summary and the inlined Point
    for obj in objs:
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])
    keys = _keys(schema)
    assert not keys & {"maxLength", "minLength", "default", "$ref", "$defs", "title"}


def test_embedded_schema_keeps_bounds_for_the_grammar() -> None:
    rf = response_format_for(Summary, "json_object_schema")
    assert rf["type"] == "json_object"
    schema = rf["schema"]
    assert schema["properties"]["headline"]["maxLength"] == 80
    assert schema["properties"]["points"]["maxItems"] == 4
    assert schema["required"] == ["headline", "points"]  # optional fields stay optional
    assert "$ref" not in json.dumps(schema)


def test_a_property_named_title_survives_title_stripping() -> None:
    class Titled(BaseModel):
        title: str
        default: int

    schema = schema_for(Titled, "json_schema_strict")
    assert set(schema["properties"]) == {"title", "default"}
    assert "title" not in schema  # the model's own title keyword is gone


def test_non_strict_schema_keeps_bounds_and_optional_fields() -> None:
    rf = response_format_for(Summary, "json_schema")
    assert rf["type"] == "json_schema" and "strict" not in rf["json_schema"]
    schema = rf["json_schema"]["schema"]
    assert schema["properties"]["headline"]["maxLength"] == 80
    assert schema["required"] == ["headline", "points"]
    assert all(obj["additionalProperties"] is False for obj in _objects(schema))


def test_strict_request_names_the_schema_and_sets_strict() -> None:
    rf = response_format_for(Summary, "json_schema_strict")
    assert rf["type"] == "json_schema"
    assert rf["json_schema"]["strict"] is True and rf["json_schema"]["name"] == "Summary"
    # Strict mode drops the bounds it refuses; "default" too, even where pydantic wrote one.
    assert "default" not in json.dumps(rf) and "maxItems" not in json.dumps(rf)


def test_json_object_sends_no_schema_and_the_prompt_describes_it() -> None:
    assert response_format_for(Summary, "json_object") == {"type": "json_object"}
    described = json.loads(describe_schema(Summary))
    assert described == schema_for(Summary, "json_schema")
    # Compact: every byte is a prompt token.
    assert describe_schema(Summary) == json.dumps(described, separators=(",", ":"), ensure_ascii=False)


def test_every_mode_is_self_contained() -> None:
    for mode in RESPONSE_MODES:
        text = json.dumps(response_format_for(Summary, mode))
        assert "$ref" not in text and "$defs" not in text, mode


def test_schema_names_are_what_openai_accepts() -> None:
    class Weird(BaseModel):
        x: int

    Weird.__name__ = "Notes for: article #1"
    assert schema_name(Weird) == "Notes_for__article__1"
    Weird.__name__ = "N" * 80
    assert len(schema_name(Weird)) == 64


def test_a_recursive_model_is_refused() -> None:
    class Node(BaseModel):
        name: str
        children: list[Node] = Field(default_factory=list)

    Node.model_rebuild()
    with pytest.raises((ValueError, BriefgenError)) as info:
        schema_for(Node, "json_schema")
    assert "Node" in str(info.value)


def test_the_shared_response_format_is_built_once_and_left_as_built() -> None:
    from briefgen.llm.schemas import shared_response_format

    for mode in RESPONSE_MODES:
        first = shared_response_format(Summary, mode)
        assert first == response_format_for(Summary, mode) and shared_response_format(Summary, mode) is first
        assert json.dumps(first, sort_keys=True) == json.dumps(response_format_for(Summary, mode), sort_keys=True)
