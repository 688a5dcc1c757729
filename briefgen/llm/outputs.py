"""What the model writes: the structured-output schemas, before code enriches them.

Keys are short (every JSON key token is a decode step for a small local model) and every
list and string is bounded in the JSON schema (small models repeat themselves inside arrays;
llama.cpp's grammar enforces the bounds). Validation *trims* instead of rejecting: a server
that ignores the bounds should cost a few extra characters, not a failed article. No
docstrings or descriptions on these models: they would be sent as schema text.
Code, not the model, turns these into ``ArticleSummary``/``KeyPoint`` with verified evidence.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _text(limit: int) -> Any:
    return Annotated[str, Field(json_schema_extra={"maxLength": limit}), AfterValidator(lambda v: v[:limit])]


def _items(item: Any, limit: int) -> Any:
    return Annotated[list[item], Field(json_schema_extra={"maxItems": limit}), AfterValidator(lambda v: v[:limit])]


def _all_required(schema: dict[str, Any]) -> None:
    # Every key in the grammar, so the local model always writes it (an empty list costs two
    # tokens); validation still accepts a server's reply that leaves an optional one out.
    schema["required"] = list(schema.get("properties", {}))
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class PointNote(BaseModel):
    model_config = ConfigDict(extra="ignore", json_schema_extra=_all_required)

    text: _text(200)  # type: ignore[valid-type]
    refs: _items(int, 2) = Field(default_factory=list)  # type: ignore[valid-type]


HEADLINE_MAX = 150


class ArticleNotes(BaseModel):
    model_config = ConfigDict(extra="ignore", json_schema_extra=_all_required)

    headline: _text(HEADLINE_MAX)  # type: ignore[valid-type]
    summary: _text(300)  # type: ignore[valid-type]
    points: _items(PointNote, 5)  # type: ignore[valid-type]
    people: _items(_text(48), 4) = Field(default_factory=list)  # type: ignore[valid-type]
    orgs: _items(_text(48), 3) = Field(default_factory=list)  # type: ignore[valid-type]
    places: _items(_text(48), 3) = Field(default_factory=list)  # type: ignore[valid-type]
    date: _text(10) = ""  # type: ignore[valid-type]
    topic: _text(20) = ""  # type: ignore[valid-type]


# The model picks the sentences that carry the news; code shows them as written. A sentence
# number costs two or three tokens where a written point costs thirty, and a chosen sentence
# cannot misstate what the article says (who did what to whom included). (No docstring: it
# would be sent as schema text.)
class ArticleFacts(BaseModel):
    model_config = ConfigDict(extra="ignore", json_schema_extra=_all_required)

    headline: _text(HEADLINE_MAX)  # type: ignore[valid-type]
    summary: _text(300)  # type: ignore[valid-type]
    facts: _items(int, 8)  # type: ignore[valid-type]
    people: _items(_text(48), 4) = Field(default_factory=list)  # type: ignore[valid-type]
    orgs: _items(_text(48), 3) = Field(default_factory=list)  # type: ignore[valid-type]
    places: _items(_text(48), 3) = Field(default_factory=list)  # type: ignore[valid-type]
    date: _text(10) = ""  # type: ignore[valid-type]
    topic: _text(20) = ""  # type: ignore[valid-type]


# One story, several outlets: for each numbered pair of two outlets' sentences, the fact both state.
class SharedFact(BaseModel):
    model_config = ConfigDict(extra="ignore", json_schema_extra=_all_required)

    pair: int = 0
    text: _text(200)  # type: ignore[valid-type]


class SharedFacts(BaseModel):
    model_config = ConfigDict(extra="ignore", json_schema_extra=_all_required)

    shared: _items(SharedFact, 4) = Field(default_factory=list)  # type: ignore[valid-type]


# Two articles the clustering features cannot separate: do they report one event?
class SameEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", json_schema_extra=_all_required)

    same: bool = False


SCHEMAS: dict[str, type[BaseModel]] = {
    "ArticleNotes": ArticleNotes,
    "ArticleFacts": ArticleFacts,
    "SharedFacts": SharedFacts,
    "SameEvent": SameEvent,
}
