"""What the model writes (briefgen.llm.outputs): ArticleNotes, rendered for each backend, trimmed on validation."""

from __future__ import annotations

import json

import pytest

from briefgen.llm.outputs import HEADLINE_MAX, SCHEMAS, ArticleNotes, PointNote
from briefgen.llm.schemas import response_format_for, schema_for

FIELDS = ["headline", "summary", "points", "people", "orgs", "places", "date", "topic"]


def _walk(node: object) -> list[dict]:
    out: list[dict] = []
    if isinstance(node, dict):
        out.append(node)
        for value in node.values():
            out += _walk(value)
    elif isinstance(node, list):
        for value in node:
            out += _walk(value)
    return out


def test_openai_strict_requires_every_field_forbids_extras_and_has_no_length_bounds() -> None:
    rf = response_format_for(ArticleNotes, "json_schema_strict")
    assert rf["type"] == "json_schema" and rf["json_schema"]["strict"] is True
    schema = rf["json_schema"]["schema"]
    assert schema["required"] == FIELDS
    assert schema["properties"]["points"]["items"]["required"] == ["text", "refs"]
    objects = [n for n in _walk(schema) if n.get("type") == "object"]
    assert len(objects) == 2 and all(o["additionalProperties"] is False for o in objects)
    text = json.dumps(schema)
    for refused in ("maxLength", "minLength", "maxItems", "minItems", "default", "title", "description"):
        assert refused not in text, refused


def test_embedded_server_gets_json_object_with_the_bounds_its_grammar_enforces() -> None:
    rf = response_format_for(ArticleNotes, "json_object_schema")
    assert rf["type"] == "json_object"
    props = rf["schema"]["properties"]
    assert props["headline"]["maxLength"] == HEADLINE_MAX
    assert props["summary"]["maxLength"] == 300
    assert props["points"]["maxItems"] == 5 and props["points"]["items"]["properties"]["text"]["maxLength"] == 200
    assert props["points"]["items"]["properties"]["refs"]["maxItems"] == 2
    assert props["people"]["maxItems"] == 4 and props["people"]["items"]["maxLength"] == 48
    # Every key is in the grammar, so the small model always writes it.
    assert rf["schema"]["required"] == FIELDS
    assert "default" not in json.dumps(rf)


def test_no_descriptions_reach_the_schema() -> None:
    # Docstrings or field descriptions would be sent as schema text, tokens for nothing.
    for mode in ("json_schema", "json_object_schema"):
        assert "description" not in json.dumps(schema_for(ArticleNotes, mode))


def test_over_long_output_is_trimmed_not_rejected() -> None:
    reply = {
        "headline": "H" * 400,
        "summary": "S" * 900,
        "points": [{"text": "P" * 500, "refs": [1, 2, 3, 4]} for _ in range(9)],
        "people": ["N" * 100] * 7,
        "orgs": ["O"] * 6,
        "places": ["L"] * 6,
        "date": "2025-09-04T10:00:00",
        "topic": "T" * 50,
    }
    notes = ArticleNotes.model_validate(reply)
    assert len(notes.headline) == HEADLINE_MAX and len(notes.summary) == 300
    assert len(notes.points) == 5 and all(len(p.text) == 200 and p.refs == [1, 2] for p in notes.points)
    assert len(notes.people) == 4 and all(len(p) == 48 for p in notes.people)
    assert len(notes.orgs) == 3 and len(notes.places) == 3
    assert notes.date == "2025-09-04" and len(notes.topic) == 20


def test_a_reply_that_leaves_optional_keys_out_or_adds_keys_still_validates() -> None:
    notes = ArticleNotes.model_validate({"headline": "Dam opens", "summary": "The dam opened.",
                                         "points": [{"text": "It opened on Monday."}], "mood": "cheerful"})
    assert notes.people == [] and notes.date == "" and notes.topic == ""
    assert notes.points == [PointNote(text="It opened on Monday.", refs=[])]
    assert not hasattr(notes, "mood")


def test_the_prompt_schema_names_resolve() -> None:
    assert SCHEMAS["ArticleNotes"] is ArticleNotes
    assert all(name == model.__name__ for name, model in SCHEMAS.items())


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_output_schema_renders_strict_without_bounds_and_loose_with_them(name: str) -> None:
    model = SCHEMAS[name]
    strict = schema_for(model, "json_schema_strict")
    for obj in (n for n in _walk(strict) if n.get("type") == "object"):
        assert obj["additionalProperties"] is False and obj["required"] == list(obj["properties"])
    keys = {key for node in _walk(strict) for key in node}
    assert not {"maxLength", "maxItems", "default", "description"} & keys
    loose_schema = schema_for(model, "json_object_schema")
    loose = json.dumps(loose_schema)
    bounded = any(n.get("type") in ("string", "array") for n in _walk(loose_schema))
    assert ("maxLength" in loose or "maxItems" in loose) == bounded and "description" not in loose
