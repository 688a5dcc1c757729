"""What the model writes: the structured-output schemas, before code enriches them.

Keys are short (every JSON key token is a decode step for a small local model) and every
list and string is bounded (small models repeat themselves inside arrays). Code, not the
model, turns these into ``ArticleSummary``/``KeyPoint`` with verified evidence.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(max_length=48)]


class PointNote(BaseModel):
    # No docstrings or descriptions on output models: they would be sent as schema text.

    model_config = ConfigDict(extra="ignore")

    text: str = Field(max_length=200)
    refs: list[int] = Field(default_factory=list, max_length=2)


class ArticleNotes(BaseModel):
    # The model's notes on one article (or one chunk of a long one); bounds keep a small
    # model from repeating itself and keep output tokens, the slowest thing it does, few.

    model_config = ConfigDict(extra="ignore")

    headline: str = Field(max_length=110)
    summary: str = Field(max_length=240)
    points: list[PointNote] = Field(max_length=5)
    people: list[Name] = Field(default_factory=list, max_length=4)
    orgs: list[Name] = Field(default_factory=list, max_length=3)
    places: list[Name] = Field(default_factory=list, max_length=3)
    date: str = Field(default="", max_length=10)
    topic: str = Field(default="", max_length=20)


SCHEMAS: dict[str, type[BaseModel]] = {
    "ArticleNotes": ArticleNotes,
}
