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
    """One key point and the numbers of the article sentences that support it."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(max_length=240, description="one full sentence with a concrete fact")
    refs: list[int] = Field(default_factory=list, max_length=3, description="supporting sentence numbers")


class ArticleNotes(BaseModel):
    """The model's notes on one article (or one chunk of a long one)."""

    model_config = ConfigDict(extra="ignore")

    headline: str = Field(max_length=120, description="a sentence about the event: who did what")
    summary: str = Field(max_length=360, description="2 sentences")
    points: list[PointNote] = Field(max_length=5)
    people: list[Name] = Field(default_factory=list, max_length=6)
    orgs: list[Name] = Field(default_factory=list, max_length=5)
    places: list[Name] = Field(default_factory=list, max_length=5)
    date: str = Field(default="", max_length=10, description="YYYY-MM-DD of the event if the text gives it")
    topic: str = Field(default="", max_length=24, description="one or two words: the beat")


SCHEMAS: dict[str, type[BaseModel]] = {
    "ArticleNotes": ArticleNotes,
}
